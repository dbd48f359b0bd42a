#include "keyswap/app/progress.hpp"

#include <unistd.h>

#include <algorithm>

namespace keyswap::app {

Progress::Progress(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}
Progress::~Progress() { finish(); }

void Progress::update(std::int64_t done, std::int64_t total, double fps) {
    if (!enabled_) return;
    // Redrawing every frame would cost more than it tells; ten times a second is enough.
    if (drawn_ && since_draw_.ms() < 100 && done != total) return;
    since_draw_.reset();
    drawn_ = true;
    if (total > 0) {
        const double eta = fps > 0 ? std::max<double>(0, total - done) / fps : 0;
        const int pct = static_cast<int>(100.0 * std::min<std::int64_t>(done, total) / total);
        std::fprintf(stderr, "\r  %3d%%  %lld/%lld frames  %6.1f fps  ETA %d:%02d   ", pct, static_cast<long long>(done),
                     static_cast<long long>(total), fps, static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
    } else {
        std::fprintf(stderr, "\r  %lld frames  %6.1f fps   ", static_cast<long long>(done), fps);
    }
    std::fflush(stderr);
}

void Progress::finish() {
    if (enabled_ && drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
}

}  // namespace keyswap::app
