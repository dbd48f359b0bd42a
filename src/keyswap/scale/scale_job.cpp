#include "keyswap/scale/scale_job.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "keyswap/core/error.hpp"
#include "keyswap/core/timing.hpp"
#include "keyswap/io/frames.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/io/video_packets.hpp"
#include "keyswap/pipeline/file_job.hpp"
#include "keyswap/pipeline/interrupt.hpp"
#include "keyswap/scale/local_scheduler.hpp"
#include "keyswap/scale/run_chunk.hpp"
#include "keyswap/scale/slurm_scheduler.hpp"
#include "keyswap/scale/subprocess.hpp"

namespace keyswap::scale {
namespace fs = std::filesystem;

namespace {

// What identifies the input file's content without reading it all.
std::string input_identity(const fs::path& input) {
    struct stat st {};
    std::string id = input.string();
    if (::stat(id.c_str(), &st) == 0) {
        id += '|';
        id += std::to_string(st.st_size);
        id += '|';
        id += std::to_string(st.st_mtim.tv_sec);
        id += '.';
        id += std::to_string(st.st_mtim.tv_nsec);
    }
    return id;
}

std::string settings_text(const pipeline::Settings& s) { return pipeline::process_schema().to_json(chunk_settings(s)).dump(2) + "\n"; }

void say(bool quiet, const std::string& line) {
    if (!quiet) std::fprintf(stderr, "keyswap: %s\n", line.c_str());
}

// "chunks 3/8 done" redrawn in place on a terminal.
void show_progress(bool quiet, std::size_t done, std::size_t total) {
    if (quiet) return;
    static const bool terminal = ::isatty(STDERR_FILENO) != 0;
    std::fprintf(stderr, terminal ? "\rkeyswap: chunks %zu/%zu done" : "keyswap: chunks %zu/%zu done\n", done, total);
    if (terminal && done == total) std::fputc('\n', stderr);
    std::fflush(stderr);
}

void report_failures(const ChunkPlan& plan, const std::vector<ChunkFailure>& failures) {
    for (const auto& f : failures)
        std::fprintf(stderr, "keyswap: %s failed: %s (log: %s)\n", plan.describe(f.index).c_str(), f.message.c_str(),
                     plan.log_file(f.index).c_str());
}

void finish(const ChunkPlan& plan, const ScaleOptions& o) {
    if (o.keep_chunks) return;
    std::error_code ec;
    fs::remove_all(plan.dir, ec);
}

}  // namespace

pipeline::Settings chunk_settings(const pipeline::Settings& settings) {
    pipeline::Settings s = settings;
    s.run.frames.clear();
    s.run.no_audio = true;
    s.run.quiet = true;
    s.encode = io::EncodeOptions{};
    s.encode.codec = "ffv1";
    return s;
}

ChunkPlan make_plan(const ScaleRequest& req, const ScaleOptions& o) {
    const io::OutputFormat out = io::choose_output_format(req.output, req.settings.encode);
    if (out.still || out.sequence)
        fail(ErrorKind::Usage, "--chunks needs a video output (.mkv, .mp4, .mov, .webm), not images", req.output.string());
    if (o.chunks <= 0 && o.chunk_frames <= 0) fail(ErrorKind::Usage, "--chunks N or --chunk-frames K is needed to split a job");
    ChunkPlan p;
    p.input = fs::absolute(req.input);
    p.output = fs::absolute(req.output);
    p.dir = o.chunk_dir.empty() ? fs::path(p.output.string() + ".chunks") : fs::absolute(o.chunk_dir);
    io::MediaInfo info = io::probe(p.input);
    info.frames = info.is_sequence || info.is_image ? io::probe(p.input, true).frames : io::count_video_packets(p.input);
    if (info.frames <= 0) fail(ErrorKind::Input, "cannot count its frames to split it", p.input.string());
    const io::FrameRange range = io::parse_frame_range(req.settings.run.frames);
    p.first = range.first;
    p.last = range.last < 0 ? info.frames - 1 : std::min(range.last, info.frames - 1);
    if (p.first > p.last)
        fail(ErrorKind::Usage, "--frames starts at " + std::to_string(p.first) + " but the input has " +
                                   std::to_string(info.frames) + " frames", p.input.string());
    p.warm_up = o.warm_up >= 0 ? o.warm_up : std::max<std::int64_t>(1, std::llround(2.0 * (info.fps() > 0 ? info.fps() : 25.0)));
    p.audio = !req.settings.run.no_audio;
    p.encode = req.settings.encode;
    p.final_codec = !o.lossless_chunks;
    p.chunks = split_frames(p.first, p.last, o.chunks, o.chunk_frames);
    std::string id = settings_text(req.settings) + input_identity(p.input);
    id += "|" + std::to_string(p.warm_up);
    // Chunks in the final codec depend on the output's encoding too; FFV1 ones do not.
    if (p.final_codec) id += "|" + p.output.extension().string() + io::encode_params().values(p.encode).dump();
    for (const auto& c : p.chunks) id += "|" + std::to_string(c.first) + "-" + std::to_string(c.last);
    p.fingerprint = fingerprint_of(id);
    return p;
}

void run_chunked(const ScaleRequest& req, const ScaleOptions& o) {
    const bool quiet = req.settings.run.quiet;
    ChunkPlan plan = make_plan(req, o);
    {
        pipeline::FileJob whole;
        whole.input = plan.input;
        whole.output = plan.output;
        whole.settings = req.settings;
        pipeline::check_file_job(whole);
    }
    const std::size_t n = plan.chunks.size();
    const std::string summary = std::to_string(n) + " chunks of " + std::to_string(plan.chunks.front().frames()) +
                                " frames or fewer (frames " + std::to_string(plan.first) + "-" + std::to_string(plan.last) +
                                ", " + std::to_string(plan.warm_up) + " warm-up frames before each) in " + plan.dir.string();
    if (o.dry_run) {
        std::vector<std::size_t> all;
        for (std::size_t i = 0; i < n; ++i) all.push_back(i);
        std::cout << "# keyswap: " << summary << "\n";
        if (o.scheduler == Scheduler::Slurm) {
            const SlurmScripts s = slurm_scripts(plan, all, o, o.keep_chunks);
            auto line = [](const std::vector<std::string>& argv) {
                std::string l;
                for (const auto& a : argv) l += (l.empty() ? "" : " ") + a;
                return l;
            };
            std::cout << "# " << (plan.dir / "chunks.sbatch").string() << "\n" << s.chunks << "\n";
            std::cout << "# " << (plan.dir / "stitch.sbatch").string() << "\n" << s.stitch << "\n";
            std::cout << "# submitted as:\n" << line(s.chunks_submit) << "\n"
                      << line(s.stitch_submit) << "   # with --dependency=afterany:<array job id>\n";
        } else {
            const std::string exe = self_executable().string();
            for (std::size_t i = 0; i < n; ++i)
                std::cout << exe << " chunk " << plan.dir.string() << " " << i << "   # " << plan.describe(i) << "\n";
            std::cout << exe << " stitch " << plan.dir.string() << "\n";
        }
        return;
    }

    // Refuse an output that would replace an input before any chunk runs.
    io::check_output_path(std::vector<fs::path>{plan.input}, plan.output);
    pipeline::install_interrupt_handler();
    const std::size_t reused = save_plan(plan);
    pipeline::save_settings(chunk_settings(req.settings), plan.settings_file());
    const std::vector<std::size_t> todo = plan.missing();
    say(quiet, summary + (reused > 0 ? "; " + std::to_string(reused) + " already done, reused" : ""));
    if (o.plan_only) {
        const std::string exe = self_executable().string();
        for (std::size_t i : todo) std::cout << exe << " chunk " << plan.dir.string() << " " << i << "\n";
        std::cout << exe << " stitch " << plan.dir.string() << "\n";
        return;
    }
    Stopwatch clock;

    if (o.scheduler == Scheduler::Local) {
        const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        const int parallel = o.parallel > 0 ? o.parallel : std::max(1, std::min<int>(cores, static_cast<int>(todo.size())));
        const int threads = req.settings.run.threads > 0 ? req.settings.run.threads : std::max(1, cores / parallel);
        if (!todo.empty()) say(quiet, "running " + std::to_string(todo.size()) + " chunks here, " + std::to_string(parallel) +
                                          " at a time with " + std::to_string(threads) + " threads each");
        const auto failures = run_local(plan, todo, parallel, threads, [&](std::size_t ended) {
            show_progress(quiet, n - todo.size() + ended, n);
        });
        report_failures(plan, failures);
        const StitchResult r = stitch_plan(plan, o.keep_chunks);
        say(quiet, "wrote " + plan.output.string() + " (" + std::to_string(r.frames) + " frames from " + std::to_string(n) +
                       " chunks" + (r.audio ? ", audio kept" : "") + (r.copied ? ", joined without re-encoding" : ", encoded once") + ") in " + std::to_string(clock.ms() / 1000.0).substr(0, 5) + " s");
        finish(plan, o);
        return;
    }

    const SlurmScripts scripts = slurm_scripts(plan, todo, o, o.keep_chunks || o.detach);
    const SlurmJobs jobs = submit_slurm(plan, scripts, !todo.empty());
    say(quiet, "submitted to Slurm: " + (jobs.array_id.empty() ? std::string("no chunk to run") : "chunks job " + jobs.array_id +
               " (" + std::to_string(todo.size()) + " tasks)") + ", stitch job " + jobs.stitch_id);
    if (o.detach) {
        say(quiet, "not waiting (--detach); the output appears when stitch job " + jobs.stitch_id + " ends; logs in " +
                       (plan.dir / "logs").string());
        return;
    }
    wait_slurm(plan, jobs, [&](std::size_t done) { show_progress(quiet, done, n); });
    std::ifstream verdict_file(plan.stitch_result());
    std::string verdict;
    std::getline(verdict_file, verdict);
    if (verdict != "ok") {
        std::vector<ChunkFailure> failures;
        for (std::size_t i : plan.missing()) failures.push_back({i, last_line_of(plan.log_file(i))});
        report_failures(plan, failures);
        if (verdict.empty())
            fail(ErrorKind::Processing, "the stitch job " + jobs.stitch_id + " did not run or was cancelled (log: " +
                                            plan.stitch_log().string() + ")", plan.dir.string());
        throw Error(ErrorKind::Processing, "the stitch failed: " + verdict);
    }
    say(quiet, "wrote " + plan.output.string() + " (" + std::to_string(n) + " chunks on Slurm) in " +
                   std::to_string(clock.ms() / 1000.0).substr(0, 5) + " s");
    finish(plan, o);
}

}  // namespace keyswap::scale
