#pragma once
// A blocking queue of fixed capacity joining two pipeline threads.
// `push` waits while full (back-pressure keeps memory flat); `close` wakes everyone, after
// which `pop` drains what is left and then returns nullopt. `push_latest` is for live
// input: when full it drops the oldest item instead of waiting, so latency cannot build.
// Thread safety: any number of producers and consumers.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace keyswap::pipeline {

template <class T>
class BoundedQueue {
public:
    explicit BoundedQueue(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

    // false if the queue was closed (the item is dropped).
    bool push(T item) {
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
        if (closed_) return false;
        items_.push_back(std::move(item));
        not_empty_.notify_one();
        return true;
    }

    // Never blocks; returns the dropped item when the queue was full.
    std::optional<T> push_latest(T item) {
        std::lock_guard lock(mutex_);
        std::optional<T> dropped;
        if (items_.size() >= capacity_) {
            dropped = std::move(items_.front());
            items_.pop_front();
        }
        items_.push_back(std::move(item));
        not_empty_.notify_one();
        return dropped;
    }

    std::optional<T> pop() {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        not_full_.notify_one();
        return item;
    }

    void close() {
        std::lock_guard lock(mutex_);
        closed_ = true;
        not_empty_.notify_all();
        not_full_.notify_all();
    }

    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return items_.size();
    }

private:
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable not_empty_, not_full_;
    std::deque<T> items_;
    bool closed_ = false;
};

}  // namespace keyswap::pipeline
