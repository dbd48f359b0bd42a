#include "keyswap/pipeline/interrupt.hpp"

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace keyswap::pipeline {

namespace {
std::atomic<int> g_requests{0};

extern "C" void on_signal(int sig) {
    if (g_requests.fetch_add(1) >= 1) {
        // Second Ctrl-C: the user insists; leave now (temporary files carry a .partial suffix).
        _exit(128 + sig);
    }
}
}  // namespace

void install_interrupt_handler() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() { return g_requests.load(std::memory_order_relaxed) > 0; }
void request_interrupt() { g_requests.store(1); }
void clear_interrupt() { g_requests.store(0); }

}  // namespace keyswap::pipeline
