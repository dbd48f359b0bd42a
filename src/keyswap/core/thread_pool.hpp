#pragma once
// A small fixed-size worker pool for row-parallel kernels.
// What this represents: N-1 worker threads plus the calling thread; `parallel_rows` splits
// [0,rows) into contiguous ranges (h*j/n .. h*(j+1)/n) and runs the kernel on each, returning
// when all are done. Kernels must write only their own rows.
// Thread safety: `parallel_rows` may be called from one thread at a time per pool; a kernel
// running inside the pool must not call back into the same pool (use threads=1 there).
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace keyswap {

class ThreadPool {
public:
    // threads: 0 = hardware concurrency, 1 = run everything on the caller.
    explicit ThreadPool(int threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return static_cast<int>(workers_.size()) + 1; }

    // Runs fn(begin, end) over row ranges covering [0, rows). min_rows stops tiny images
    // from paying for the hand-off. If fn throws in any range, every other range still
    // finishes (or is skipped, if not yet started), then the first exception is rethrown here.
    void parallel_rows(int rows, const std::function<void(int, int)>& fn, int min_rows = 16);

    // The process-wide pool used when a caller passes none.
    static ThreadPool& shared();
    // Makes shared() a pool of `threads`. The previous pool is kept alive until the process
    // ends, because stages may still hold a reference to it; no-op when the size is the same.
    static void set_shared_threads(int threads);

private:
    void worker_loop(int id);
    void record_error(std::exception_ptr err);

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    const std::function<void(int, int)>* job_ = nullptr;
    int job_rows_ = 0;
    int job_parts_ = 0;
    int next_part_ = 0;
    int pending_ = 0;
    std::size_t generation_ = 0;
    bool stop_ = false;
    std::exception_ptr error_;  // first exception of the current job
    std::mutex call_mutex_;
};

}  // namespace keyswap
