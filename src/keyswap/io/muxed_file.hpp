#pragma once
// One output file being muxed, private to io/: the FFmpeg muxer context, the temporary name it
// writes under and the rename that makes it final. MediaWriter (frames encoded here) and
// PacketWriter (packets copied from finished encodes) share it, so both keep the same promise:
// the file appears under its final name only when it is complete, and an unfinished one is
// removed. Image sequences are written under their final names (each frame atomically by the
// image2 muxer); cleaning those up is the caller's business.
// Thread safety: one thread. Errors: keyswap::Error(Output) naming the final file.
#include <filesystem>
#include <string>

#include "keyswap/io/av_util.hpp"

namespace keyswap::io {

class MuxedFile {
public:
    MuxedFile(const std::filesystem::path& final_path, const std::string& muxer, bool sequence);
    ~MuxedFile();
    MuxedFile(const MuxedFile&) = delete;
    MuxedFile& operator=(const MuxedFile&) = delete;

    AVFormatContext* get() const { return out_; }
    const std::string& write_path() const { return write_path_; }
    const std::string& name() const { return name_; }  // the final path, for messages
    bool needs_global_header() const { return (out_->oformat->flags & AVFMT_GLOBALHEADER) != 0; }

    // Opens the file and writes the header; streams must be added before.
    void start(AVDictionary** muxer_options = nullptr);
    bool started() const { return started_; }
    void write(AVPacket* packet, const char* what);  // interleaved; packet in its stream's time base
    // Trailer, close, check for write errors, rename into place.
    void finish();
    bool finished() const { return finished_; }

private:
    std::string name_, write_path_;
    bool sequence_ = false;
    AVFormatContext* out_ = nullptr;
    bool started_ = false, finished_ = false;
};

}  // namespace keyswap::io
