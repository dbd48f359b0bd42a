// Capture-layout conversion (io::to_rgba) at 720p, as the OBS filter's worker and a camera
// input run it: one thread and the whole pool.
#include <benchmark/benchmark.h>

#include <vector>

#include "keyswap/io/yuv_convert.hpp"

namespace {

using namespace keyswap;

void BM_I420ToRgba720p(benchmark::State& state) {
    std::vector<std::uint8_t> y(1280 * 720), u(640 * 360), v(640 * 360);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::uint8_t(i * 7 % 251);
    for (std::size_t i = 0; i < u.size(); ++i) u[i] = std::uint8_t(i * 3 % 241), v[i] = std::uint8_t(i * 5 % 239);
    io::PlaneFrame f;
    f.layout = io::PlaneLayout::I420;
    f.width = 1280;
    f.height = 720;
    f.data = {y.data(), u.data(), v.data(), nullptr};
    f.linesize = {1280, 640, 640, 0};
    ImageU8 out;
    const auto m = io::yuv_matrix(true, false);
    ThreadPool* pool = state.range(0) ? &ThreadPool::shared() : nullptr;
    for (auto _ : state) {
        io::to_rgba(f, m, out, pool);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_I420ToRgba720p)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
