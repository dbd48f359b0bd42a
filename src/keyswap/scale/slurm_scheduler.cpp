#include "keyswap/scale/slurm_scheduler.hpp"

#include <chrono>
#include <fstream>
#include <thread>

#include "keyswap/core/error.hpp"
#include "keyswap/pipeline/interrupt.hpp"
#include "keyswap/scale/subprocess.hpp"

namespace keyswap::scale {
namespace fs = std::filesystem;

namespace {

// Single-quotes a word for sh.
std::string sh_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    out += '\'';
    return out;
}

std::string index_list(const std::vector<std::size_t>& todo) {
    std::string s;
    for (std::size_t i : todo) {
        if (!s.empty()) s += ',';
        s += std::to_string(i);
    }
    return s;
}

std::string header(const std::string& name, const fs::path& log, const ScaleOptions& o) {
    std::string s = "#!/bin/sh\n";
    s += "#SBATCH --job-name=" + name + "\n";
    s += "#SBATCH --output=" + log.string() + "\n";
    s += "#SBATCH --chdir=" + fs::current_path().string() + "\n";
    if (!o.partition.empty()) s += "#SBATCH --partition=" + o.partition + "\n";
    return s;
}

std::string first_word(const std::string& text) {
    std::string w;
    for (char c : text) {
        if (c == ';' || c == '\n' || c == ' ') break;
        w += c;
    }
    return w;
}

Captured sbatch(const std::vector<std::string>& argv) {
    Captured c = run_captured(argv);
    if (c.exit_code != 0) {
        std::string msg = c.output;
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        if (c.exit_code == 127) msg = "sbatch is not installed here (Debian: slurm-client)";
        fail(ErrorKind::Processing, "Slurm refused the job: " + msg, argv.back());
    }
    return c;
}

}  // namespace

SlurmScripts slurm_scripts(const ChunkPlan& plan, const std::vector<std::size_t>& todo, const ScaleOptions& o,
                           bool keep_chunks) {
    const std::string exe = sh_quote(self_executable().string()), dir = sh_quote(plan.dir.string());
    SlurmScripts s;
    // %4a: the array index zero-padded, so task N logs to chunk_000N.log like a local run.
    s.chunks = header("keyswap-chunks", plan.dir / "logs" / "chunk_%4a.log", o);
    s.chunks += "# One task per chunk: the task's array index is the chunk number.\n";
    s.chunks += "exec " + exe + " chunk " + dir + " \"$SLURM_ARRAY_TASK_ID\" ${SLURM_CPUS_PER_TASK:+--threads \"$SLURM_CPUS_PER_TASK\"}\n";
    s.stitch = header("keyswap-stitch", plan.stitch_log(), o);
    s.stitch += "# Runs after every chunk task has ended (afterany) and fails naming any chunk that did not finish.\n";
    s.stitch += "exec " + exe + " stitch " + dir + (keep_chunks ? " --keep-chunks" : "") + "\n";
    s.chunks_submit = {"sbatch", "--parsable", "--array=" + index_list(todo)};
    s.stitch_submit = {"sbatch", "--parsable"};
    for (auto* cmd : {&s.chunks_submit, &s.stitch_submit}) {
        cmd->insert(cmd->end(), o.sbatch_args.begin(), o.sbatch_args.end());
    }
    s.chunks_submit.push_back((plan.dir / "chunks.sbatch").string());
    s.stitch_submit.push_back((plan.dir / "stitch.sbatch").string());
    return s;
}

SlurmJobs submit_slurm(const ChunkPlan& plan, const SlurmScripts& s, bool with_array) {
    for (const auto& [name, text] : {std::pair{"chunks.sbatch", &s.chunks}, std::pair{"stitch.sbatch", &s.stitch}}) {
        std::ofstream f(plan.dir / name, std::ios::trunc);
        f << *text;
        if (!f) fail(ErrorKind::Output, "cannot write the job script", (plan.dir / name).string());
    }
    std::error_code ec;
    fs::remove(plan.stitch_result(), ec);
    SlurmJobs jobs;
    std::vector<std::string> stitch = s.stitch_submit;
    if (with_array) {
        jobs.array_id = first_word(sbatch(s.chunks_submit).output);
        stitch.insert(stitch.begin() + 2, "--dependency=afterany:" + jobs.array_id);
    }
    jobs.stitch_id = first_word(sbatch(stitch).output);
    return jobs;
}

void wait_slurm(const ChunkPlan& plan, const SlurmJobs& jobs, const std::function<void(std::size_t)>& progress) {
    const std::string ids = jobs.array_id.empty() ? jobs.stitch_id : jobs.array_id + "," + jobs.stitch_id;
    std::size_t last_done = static_cast<std::size_t>(-1);
    int failures = 0;
    for (;;) {
        if (pipeline::interrupt_requested()) {
            run_captured({"scancel", jobs.stitch_id});
            if (!jobs.array_id.empty()) run_captured({"scancel", jobs.array_id});
            fail(ErrorKind::Interrupted, "interrupted; the Slurm jobs were cancelled and the finished chunks kept",
                 plan.dir.string());
        }
        const Captured q = run_captured({"squeue", "--noheader", "--jobs=" + ids, "--format=%i"});
        // squeue forgets jobs that have ended; an id it no longer knows is an error, not a wait.
        const bool gone = (q.exit_code == 0 && q.output.find_first_not_of(" \n") == std::string::npos) ||
                          (q.exit_code != 0 && q.output.find("Invalid job id") != std::string::npos);
        if (q.exit_code != 0 && !gone && ++failures > 20)
            fail(ErrorKind::Processing, "squeue keeps failing: " + q.output, plan.dir.string());
        const std::size_t done = plan.chunks.size() - plan.missing().size();
        if (progress && done != last_done) progress(done);
        last_done = done;
        if (gone) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
}

}  // namespace keyswap::scale
