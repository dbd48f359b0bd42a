#pragma once
// Live settings: the newest immutable settings snapshot, swapped whole between frames.
//
// What this represents: one slot holding a `std::shared_ptr<const T>` and a version number.
// A control thread (a watched settings file, the web panel, an OBS property change) builds and
// validates a complete new T, then `publish`es it; the processing thread, between two frames,
// asks `take_if_newer` and re-runs its stages' configure step with what it gets. A frame is
// processed with exactly one snapshot: nobody ever sees half an update, and the snapshot a
// stage holds stays valid (shared ownership) however often the control side publishes.
//
// Thread safety: every member may be called from any thread at any time.
// Requires: publish only validated settings (a bad value must never reach a stage).
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace keyswap {

template <class T>
class SnapshotSlot {
public:
    explicit SnapshotSlot(std::shared_ptr<const T> initial) : current_(std::move(initial)) {}

    // Makes `next` the current snapshot. Ensures: version() increases by one.
    void publish(std::shared_ptr<const T> next) {
        std::lock_guard lock(m_);
        current_ = std::move(next);
        version_.fetch_add(1, std::memory_order_release);
    }

    std::shared_ptr<const T> load() const {
        std::lock_guard lock(m_);
        return current_;
    }

    std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

    // For the processing thread: the current snapshot when it is newer than `seen` (then
    // `seen` is updated), else nullptr. One atomic load when nothing changed.
    std::shared_ptr<const T> take_if_newer(std::uint64_t& seen) const {
        if (version_.load(std::memory_order_acquire) == seen) return nullptr;
        std::lock_guard lock(m_);
        seen = version_.load(std::memory_order_relaxed);
        return current_;
    }

private:
    mutable std::mutex m_;
    std::shared_ptr<const T> current_;
    std::atomic<std::uint64_t> version_{0};
};

}  // namespace keyswap
