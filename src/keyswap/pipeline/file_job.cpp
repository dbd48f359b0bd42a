#include "keyswap/pipeline/file_job.hpp"

#include "keyswap/core/thread_pool.hpp"
#include "keyswap/io/frames.hpp"
#include "keyswap/io/media_reader.hpp"

namespace keyswap::pipeline {

void check_file_job(const FileJob& fj) {
    ThreadPool::set_shared_threads(fj.settings.run.threads);
    infer::set_execution_provider(fj.settings.run.provider);
    FramePass pass(fj.settings.pass, ThreadPool::shared());
    pass.start(io::probe(fj.input), io::choose_output_format(fj.output, fj.settings.encode));
}

FileJobResult run_file_job(const FileJob& fj, const ProgressFn& progress) {
    const Settings& settings = fj.settings;
    StreamJob job;
    job.input = fj.input;
    job.output = fj.output;
    job.encode = settings.encode;
    job.keep_audio = !settings.run.no_audio;
    const io::FrameRange range = io::parse_frame_range(settings.run.frames);
    job.reader.first_frame = range.first;
    job.reader.last_frame = range.last;
    job.reader.warm_up = fj.warm_up;
    ThreadPool::set_shared_threads(settings.run.threads);
    infer::set_execution_provider(settings.run.provider);
    FramePass pass(settings.pass, ThreadPool::shared());
    if (fj.follow) pass.follow(fj.follow);
    if (fj.output_offset > 0) pass.set_output_offset(fj.output_offset);
    if (fj.job_first_frame >= 0) {
        io::ReaderOptions o;
        o.first_frame = o.last_frame = fj.job_first_frame;
        o.want_audio = false;
        io::MediaReader reader(fj.input, o);
        Frame first;
        if (reader.read(first)) pass.prime(first);
    }
    job.side_inputs = pass.input_files();
    job.side_outputs = pass.output_files();
    FrameWork work;
    work.start = [&](const io::MediaInfo& in, const io::OutputFormat& out) { pass.start(in, out); };
    work.process = [&](Frame& f) { pass.process(f); };
    FileJobResult r;
    r.stream = run_stream(job, work, progress);
    r.summary = pass.summary();
    return r;
}

}  // namespace keyswap::pipeline
