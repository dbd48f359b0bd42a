#include "keyswap/io/muxed_file.hpp"

#include <unistd.h>

#include <system_error>

namespace keyswap::io {
namespace fs = std::filesystem;

MuxedFile::MuxedFile(const fs::path& final_path, const std::string& muxer, bool sequence)
    : name_(final_path.string()), sequence_(sequence) {
    write_path_ = sequence ? name_ : name_ + ".partial-" + std::to_string(::getpid());
    av::check(avformat_alloc_output_context2(&out_, nullptr, muxer.c_str(), write_path_.c_str()), ErrorKind::Output,
              "cannot set up the " + muxer + " muxer", name_);
}

MuxedFile::~MuxedFile() {
    if (out_) {
        if (!(out_->oformat->flags & AVFMT_NOFILE)) avio_closep(&out_->pb);
        avformat_free_context(out_);
    }
    std::error_code ec;
    if (!finished_ && !sequence_) fs::remove(write_path_, ec);
}

void MuxedFile::start(AVDictionary** muxer_options) {
    if (!(out_->oformat->flags & AVFMT_NOFILE)) {
        const int r = avio_open(&out_->pb, write_path_.c_str(), AVIO_FLAG_WRITE);
        if (r < 0) fail(ErrorKind::Output, "cannot create the output file (" + av::error_string(r) + ")", name_);
    }
    av::check(avformat_write_header(out_, muxer_options), ErrorKind::Output, "cannot write the file header", name_);
    started_ = true;
}

void MuxedFile::write(AVPacket* packet, const char* what) {
    av::check(av_interleaved_write_frame(out_, packet), ErrorKind::Output, std::string("cannot write ") + what, name_);
}

void MuxedFile::finish() {
    if (finished_) return;
    av::check(av_write_trailer(out_), ErrorKind::Output, "cannot finish the file", name_);
    if (!(out_->oformat->flags & AVFMT_NOFILE)) {
        if (out_->pb && out_->pb->error < 0) av::check(out_->pb->error, ErrorKind::Output, "write failed", name_);
        av::check(avio_closep(&out_->pb), ErrorKind::Output, "cannot close the file", name_);
    }
    if (!sequence_) {
        std::error_code ec;
        fs::rename(write_path_, name_, ec);
        if (ec) fail(ErrorKind::Output, "cannot move the finished file into place: " + ec.message(), name_);
    }
    finished_ = true;
}

}  // namespace keyswap::io
