#pragma once
// The one-frame hand-over between the capture thread and the pass: the newest frame wins.
//
// What this represents: a slot holding at most one item. `put` never blocks; when the slot
// is still full (the pass has not taken the last frame yet) the old item is replaced and
// returned, so the caller counts it as dropped and recycles its buffer. `take` waits for an
// item; after `close` it returns what is left, then nullopt. Latency therefore never builds
// up in a queue: the pass always starts on the most recent picture.
// Thread safety: any number of producers and consumers.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

namespace keyswap::pipeline {

template <class T>
class NewestSlot {
public:
    // Returns the item it replaced, if any (dropped: never processed).
    std::optional<T> put(T item) {
        std::optional<T> old;
        {
            std::lock_guard lock(m_);
            if (item_) old = std::move(item_);
            item_ = std::move(item);
        }
        cv_.notify_one();
        return old;
    }

    std::optional<T> take() {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return closed_ || item_.has_value(); });
        return std::exchange(item_, std::nullopt);
    }

    void close() {
        {
            std::lock_guard lock(m_);
            closed_ = true;
        }
        cv_.notify_all();
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    std::optional<T> item_;
    bool closed_ = false;
};

}  // namespace keyswap::pipeline
