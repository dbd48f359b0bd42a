#include "keyswap/core/thread_pool.hpp"

#include <algorithm>
#include <memory>

namespace keyswap {

ThreadPool::ThreadPool(int threads) {
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
}

// Called with mutex_ held: keeps the first error and skips the ranges nobody has started
// (they count as done), so the job ends as soon as the running ranges return.
void ThreadPool::record_error(std::exception_ptr err) {
    if (!error_) error_ = err;
    pending_ -= job_parts_ - next_part_;
    next_part_ = job_parts_;
}

void ThreadPool::worker_loop(int) {
    std::size_t seen = 0;
    for (;;) {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        while (next_part_ < job_parts_) {
            const int part = next_part_++;
            const auto* fn = job_;
            const int rows = job_rows_, parts = job_parts_;
            lock.unlock();
            const int b = static_cast<int>(static_cast<long long>(rows) * part / parts);
            const int e = static_cast<int>(static_cast<long long>(rows) * (part + 1) / parts);
            std::exception_ptr err;
            try {
                (*fn)(b, e);
            } catch (...) {
                err = std::current_exception();  // an exception must not end the worker (std::terminate)
            }
            lock.lock();
            if (err) record_error(err);
            if (--pending_ == 0) done_.notify_all();
        }
    }
}

void ThreadPool::parallel_rows(int rows, const std::function<void(int, int)>& fn, int min_rows) {
    if (rows <= 0) return;
    const int parts = std::clamp(rows / std::max(1, min_rows), 1, size());
    if (parts <= 1 || workers_.empty()) {
        fn(0, rows);
        return;
    }
    std::lock_guard call(call_mutex_);
    std::unique_lock lock(mutex_);
    job_ = &fn;
    job_rows_ = rows;
    job_parts_ = parts;
    next_part_ = 0;
    pending_ = parts;
    error_ = nullptr;
    ++generation_;
    wake_.notify_all();
    // The caller works too, so a pool of N uses N cores.
    while (next_part_ < job_parts_) {
        const int part = next_part_++;
        lock.unlock();
        const int b = static_cast<int>(static_cast<long long>(rows) * part / parts);
        const int e = static_cast<int>(static_cast<long long>(rows) * (part + 1) / parts);
        std::exception_ptr err;
        try {
            fn(b, e);
        } catch (...) {
            err = std::current_exception();
        }
        lock.lock();
        if (err) record_error(err);
        --pending_;
    }
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
    job_parts_ = 0;
    if (error_) {
        std::exception_ptr e = error_;
        error_ = nullptr;
        std::rethrow_exception(e);
    }
}

namespace {
std::unique_ptr<ThreadPool>& shared_slot() {
    static std::unique_ptr<ThreadPool> pool;
    return pool;
}
std::mutex shared_mutex;
}  // namespace

ThreadPool& ThreadPool::shared() {
    std::lock_guard lock(shared_mutex);
    auto& p = shared_slot();
    if (!p) p = std::make_unique<ThreadPool>(0);
    return *p;
}

void ThreadPool::set_shared_threads(int threads) {
    std::lock_guard lock(shared_mutex);
    static std::vector<std::unique_ptr<ThreadPool>> retired;  // may still be referenced
    auto& p = shared_slot();
    const int want = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (p && p->size() == want) return;
    if (p) retired.push_back(std::move(p));
    p = std::make_unique<ThreadPool>(threads);
}

}  // namespace keyswap
