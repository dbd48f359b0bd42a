#pragma once
// Small pieces shared by the threaded runs (pipeline/stream.cpp for files, live_run.cpp for
// live): the first error among several threads, and a pool of frame buffers handed back so
// no frame is allocated per frame.
// Thread safety: both are safe to use from any number of threads.
#include <cstddef>
#include <exception>
#include <mutex>
#include <vector>

#include "keyswap/core/image.hpp"

namespace keyswap::pipeline {

// First error wins; the others are consequences of the shutdown it caused.
class ErrorSlot {
public:
    void set(std::exception_ptr e) {
        std::lock_guard lock(m_);
        if (!e_) e_ = e;
    }
    bool has() {
        std::lock_guard lock(m_);
        return e_ != nullptr;
    }
    void rethrow() {
        std::lock_guard lock(m_);
        if (e_) std::rethrow_exception(e_);
    }

private:
    std::mutex m_;
    std::exception_ptr e_;
};

// Finished frame buffers come back here; `take` returns an empty frame when none is free.
// Keeps at most `capacity` (more than the frames in flight, so steady state allocates nothing).
class FramePool {
public:
    explicit FramePool(std::size_t capacity) : capacity_(capacity) {}
    Frame take() {
        std::lock_guard lock(m_);
        if (free_.empty()) return {};
        Frame f = std::move(free_.back());
        free_.pop_back();
        return f;
    }
    void give(Frame f) {
        std::lock_guard lock(m_);
        if (free_.size() < capacity_) free_.push_back(std::move(f));
    }

private:
    std::size_t capacity_;
    std::mutex m_;
    std::vector<Frame> free_;
};

}  // namespace keyswap::pipeline
