#include "keyswap/scale/local_scheduler.hpp"

#include <chrono>
#include <thread>

#include "keyswap/core/error.hpp"
#include "keyswap/pipeline/interrupt.hpp"
#include "keyswap/scale/subprocess.hpp"

namespace keyswap::scale {

std::vector<ChunkFailure> run_local(const ChunkPlan& plan, const std::vector<std::size_t>& todo, int parallel,
                                    int threads, const std::function<void(std::size_t)>& done) {
    const std::string exe = self_executable().string();
    struct Running {
        std::size_t index;
        Child child;
    };
    std::vector<Running> running;
    std::vector<ChunkFailure> failures;
    std::size_t next = 0, ended = 0;
    parallel = std::max(1, parallel);
    while (next < todo.size() || !running.empty()) {
        if (pipeline::interrupt_requested()) {
            running.clear();  // stops them (Child's destructor)
            fail(ErrorKind::Interrupted, "interrupted; the finished chunks are kept for a rerun", plan.dir.string());
        }
        while (next < todo.size() && static_cast<int>(running.size()) < parallel) {
            const std::size_t i = todo[next++];
            std::vector<std::string> argv{exe, "chunk", plan.dir.string(), std::to_string(i)};
            if (threads > 0) argv.insert(argv.end(), {"--threads", std::to_string(threads)});
            running.push_back({i, spawn(argv, plan.log_file(i))});
        }
        bool any = false;
        for (auto it = running.begin(); it != running.end();) {
            if (auto rc = it->child.poll()) {
                if (*rc != 0 || !plan.record(it->index)) {
                    std::string why = last_line_of(plan.log_file(it->index));
                    if (why.empty()) why = "exit status " + std::to_string(*rc);
                    failures.push_back({it->index, why});
                }
                it = running.erase(it);
                any = true;
                if (done) done(++ended);
            } else {
                ++it;
            }
        }
        if (!any) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return failures;
}

}  // namespace keyswap::scale
