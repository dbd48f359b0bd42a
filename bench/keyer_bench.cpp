// Google Benchmark kernels of the keyer: the whole Keyer::process at 1080p (1 and 2 threads,
// with per-stage counters) and its row kernels, on a synthetic green-screen frame.
#include <benchmark/benchmark.h>

#include <random>

#include "keyswap/compose/composite.hpp"
#include "keyswap/matte/colour_difference.hpp"
#include "keyswap/matte/despill.hpp"
#include "keyswap/matte/keyer.hpp"

using namespace keyswap;

namespace {

// Green backdrop with noise and a grey-orange subject block: enough structure for every stage.
const ImageU8& frame1080() {
    static const ImageU8 img = [] {
        ImageU8 f(1920, 1080, 4, 255);
        std::mt19937 rng(1);
        for (int y = 0; y < 1080; ++y)
            for (int x = 0; x < 1920; ++x) {
                const bool subject = x > 600 && x < 1300 && y > 200;
                const int n = int(rng() % 7) - 3;
                f.at(x, y, 0) = std::uint8_t(subject ? 200 : 50 + n);
                f.at(x, y, 1) = std::uint8_t(subject ? 140 : 170 + n - y / 40);
                f.at(x, y, 2) = std::uint8_t(subject ? 110 : 70 + n);
            }
        return f;
    }();
    return img;
}

// chroma420: the frame comes from a 4:2:0 source, so the keyer first rebuilds chroma along the
// subject's edges (matte/chroma_restore.hpp; key.chroma_ms is that stage).
void keyer_process(benchmark::State& state, bool refine, double despill, bool chroma420 = false) {
    ThreadPool pool(int(state.range(0)));
    matte::KeyerSettings s;
    s.refine = refine;
    s.despill = despill;
    matte::Keyer keyer(s);
    Frame f;
    ImageF32 m;
    StageTimes times;
    for (auto _ : state) {
        state.PauseTiming();
        f.rgba = frame1080();
        if (chroma420) f.chroma = {2, 2, 0.2126f, 0.0722f};
        state.ResumeTiming();
        keyer.process(f, m, pool, &times);
        benchmark::DoNotOptimize(m.data());
    }
    for (auto& [stage, ms] : times.total_ms) state.counters[stage + "_ms"] = ms / double(times.count[stage]);
    state.counters["fps"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Keyer1080p(benchmark::State& st) { keyer_process(st, true, 1.0); }
void BM_Keyer1080pNoRefine(benchmark::State& st) { keyer_process(st, false, 1.0); }
void BM_Keyer1080p420(benchmark::State& st) { keyer_process(st, true, 1.0, true); }
BENCHMARK(BM_Keyer1080p)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Keyer1080pNoRefine)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Keyer1080p420)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

struct Rows {
    std::vector<std::uint8_t> rgba;
    std::vector<float> sr, sg, sb, ds, ws, a;
    explicit Rows(int n) : rgba(4 * n, 128), sr(n, 50), sg(n, 170), sb(n, 70), ds(n, 1.f / 110), ws(n, 1.f), a(n, 0.5f) {
        for (int x = 0; x < n; ++x) rgba[4 * x] = 200, rgba[4 * x + 1] = std::uint8_t(100 + x % 100);
    }
};

void BM_ChromaAlphaRow(benchmark::State& st) {
    Rows w(1920);
    const auto lv = matte::MatteLevels::from_clips(0.06, 0.85);
    for (auto _ : st) {
        matte::chroma_alpha_row(w.rgba.data(), w.ds.data(), w.ws.data(), {-0.5f, 1.f, -0.5f}, lv, 1920, w.a.data());
        benchmark::DoNotOptimize(w.a.data());
    }
    st.SetItemsProcessed(st.iterations() * 1920);
}
BENCHMARK(BM_ChromaAlphaRow);

// The matte pass's kernel: alpha plus the guided filter's column sums.
void BM_ChromaAlphaSumsRow(benchmark::State& st) {
    Rows w(1920);
    std::vector<float> sums(4 * 1920, 0.f);
    const auto lv = matte::MatteLevels::from_clips(0.06, 0.85);
    for (auto _ : st) {
        matte::chroma_alpha_sums_row(w.rgba.data(), w.ds.data(), w.ds.data(), w.ws.data(), w.ws.data(), 0.5f, {-0.5f, 1.f, -0.5f}, lv, 1920, sums.data());
        benchmark::DoNotOptimize(sums.data());
    }
    st.SetItemsProcessed(st.iterations() * 1920);
}
BENCHMARK(BM_ChromaAlphaSumsRow);

void BM_ForegroundDespillRow(benchmark::State& st) {
    Rows w(1920);
    const std::vector<std::uint8_t> src = w.rgba;
    for (auto _ : st) {
        std::copy(src.begin(), src.end(), w.rgba.begin());
        matte::foreground_row(w.rgba.data(), w.a.data(), w.sr.data(), w.sg.data(), w.sb.data(), 1, {1.f, 0.5f, 0.f}, 1920);
        benchmark::DoNotOptimize(w.rgba.data());
    }
    st.SetItemsProcessed(st.iterations() * 1920);
}
BENCHMARK(BM_ForegroundDespillRow);

// The fused finish (refine, temporal, foreground solve, despill, packing) on one cached row.
void BM_FinishRow(benchmark::State& st) {
    Rows w(1920);
    const std::vector<std::uint8_t> src = w.rgba;
    std::vector<float> coef(4 * 1920, 0.001f);
    std::vector<std::uint16_t> prev(1920, 30000);
    matte::FinishRow f;
    f.refine = true;
    for (int k = 0; k < 4; ++k) f.coef_lo[k] = f.coef_hi[k] = coef.data() + k * 1920;
    f.coef_t = 0.3f;
    f.screen_lo[0] = f.screen_hi[0] = w.sr.data();
    f.screen_lo[1] = f.screen_hi[1] = w.sg.data();
    f.screen_lo[2] = f.screen_hi[2] = w.sb.data();
    f.screen_t = 0.5f;
    f.prev = prev.data();
    for (auto _ : st) {
        std::copy(src.begin(), src.end(), w.rgba.begin());
        matte::finish_row(w.rgba.data(), w.a.data(), f, 1920);
        benchmark::DoNotOptimize(w.rgba.data());
    }
    st.SetItemsProcessed(st.iterations() * 1920);
}
BENCHMARK(BM_FinishRow);

void BM_CompositeOver1080p(benchmark::State& st) {
    ThreadPool pool(2);
    ImageU8 fg = frame1080(), bg(1920, 1080, 4, 128), out(1920, 1080, 4);
    for (auto _ : st) compose::composite_over(fg.view(), bg.view(), out.view(), {}, pool);
    st.SetItemsProcessed(st.iterations() * 1920 * 1080);
}
BENCHMARK(BM_CompositeOver1080p)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
