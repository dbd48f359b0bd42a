#include "keyswap/pipeline/stream.hpp"

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "keyswap/core/error.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/pipeline/bounded_queue.hpp"
#include "keyswap/pipeline/interrupt.hpp"
#include "keyswap/pipeline/thread_handoff.hpp"

namespace keyswap::pipeline {

namespace {

struct Item {
    Frame frame;
    std::deque<io::AudioPacket> audio;
    bool last = false;  // carries only the audio read after the final frame
};

}  // namespace

StreamStats run_stream(const StreamJob& job, const FrameWork& work, const ProgressFn& progress) {
    std::vector<std::filesystem::path> inputs{job.input};
    inputs.insert(inputs.end(), job.side_inputs.begin(), job.side_inputs.end());
    io::check_output_path(inputs, job.output);
    for (const auto& side : job.side_outputs) {
        io::check_output_path(inputs, side);
        if (io::may_overwrite(side, job.output) || io::may_overwrite(job.output, side))
            fail(ErrorKind::Usage, "names the same file as the output " + job.output.string() + "; choose another name",
                 side.string());
    }
    const io::OutputFormat out_format = io::choose_output_format(job.output, job.encode);
    io::ReaderOptions ropt = job.reader;
    ropt.want_audio = job.keep_audio && !out_format.still;
    // One still image out of a video: take the first frame of the range.
    if (out_format.still && !out_format.sequence) ropt.last_frame = ropt.first_frame;
    io::MediaReader reader(job.input, ropt);
    const io::MediaInfo info = reader.info();

    io::VideoParams vp;
    vp.width = info.width;
    vp.height = info.height;
    vp.fps_num = info.fps_num > 0 ? info.fps_num : 25;
    vp.fps_den = info.fps_num > 0 ? info.fps_den : 1;
    vp.tb_num = info.tb_num;
    vp.tb_den = info.tb_den;
    io::AudioSource audio;
    audio.params = reader.audio_parameters();
    audio.tb_num = reader.audio_tb_num();
    audio.tb_den = reader.audio_tb_den();
    if (work.start) work.start(info, out_format);
    io::MediaWriter writer(job.output, vp, job.encode, audio);

    BoundedQueue<Item> decoded(job.queue_depth), processed(job.queue_depth);
    FramePool pool{8};
    ErrorSlot error;
    std::int64_t total = info.frames;
    if (ropt.last_frame >= 0) total = std::min<std::int64_t>(total > 0 ? total : INT64_MAX, ropt.last_frame + 1);
    total = std::max<std::int64_t>(0, total - ropt.first_frame);

    auto stop_all = [&] {
        decoded.close();
        processed.close();
    };

    std::thread decoder([&] {
        try {
            for (;;) {
                if (interrupt_requested()) fail(ErrorKind::Interrupted, "interrupted; no output written", job.output.string());
                Item item;
                item.frame = pool.take();
                const bool got = reader.read(item.frame);
                item.audio = reader.take_audio();
                item.last = !got;
                if (!decoded.push(std::move(item)) || !got) break;
            }
        } catch (...) {
            error.set(std::current_exception());
            stop_all();
            return;
        }
        decoded.close();
    });

    std::int64_t written = 0;
    // If the second thread cannot start, the first must still be joined (a joinable
    // std::thread destroyed by the unwinding would call std::terminate).
    std::thread encoder;
    try {
        encoder = std::thread([&] {
        try {
            while (auto item = processed.pop()) {
                for (auto& a : item->audio) writer.write_audio(a);
                if (item->last) continue;
                if (item->frame.warm_up) {
                    pool.give(std::move(item->frame));
                    continue;
                }
                writer.write(item->frame);
                pool.give(std::move(item->frame));
                ++written;
            }
        } catch (...) {
            error.set(std::current_exception());
            stop_all();
        }
        });
    } catch (...) {
        stop_all();
        decoder.join();
        throw;
    }

    Stopwatch clock;
    std::int64_t passed = 0;
    try {
        while (auto item = decoded.pop()) {
            if (!item->last) {
                try {
                    work.process(item->frame);
                } catch (const Error& e) {
                    // Stage errors know the problem, not the file: name the input and frame.
                    if (!e.path().empty()) throw;
                    throw Error(e.kind(), e.detail() + " (frame " + std::to_string(item->frame.index) + ")",
                                job.input.string());
                }
                if (item->frame.warm_up) {
                    if (!processed.push(std::move(*item))) break;
                    continue;
                }
                ++passed;
                if (progress) progress(passed, total, passed / std::max(1e-9, clock.ms() / 1000.0));
            }
            if (!processed.push(std::move(*item))) break;
        }
    } catch (...) {
        error.set(std::current_exception());
        stop_all();
    }
    processed.close();
    decoder.join();
    encoder.join();
    error.rethrow();
    if (interrupt_requested()) fail(ErrorKind::Interrupted, "interrupted; no output written", job.output.string());
    if (written == 0) fail(ErrorKind::Input, "contains no video frames" + std::string(ropt.first_frame > 0 ? " in the requested range" : ""),
                           job.input.string());
    writer.finish();

    StreamStats s;
    s.frames = written;
    s.seconds = clock.ms() / 1000.0;
    s.fps = written / std::max(1e-9, s.seconds);
    s.audio = writer.has_audio();
    s.input = info;
    s.range_start = reader.range_start();
    s.range_end = reader.range_end();
    return s;
}

}  // namespace keyswap::pipeline
