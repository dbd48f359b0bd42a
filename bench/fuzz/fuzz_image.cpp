// libFuzzer target: any bytes as an image file (PNG, JPEG, WebP, TIFF, BMP, ... whatever
// FFmpeg recognises), read by io::read_image as every photo, plate and mask is. Must end in
// an RGBA frame or one keyswap::Error (never a crash, a hang or a sanitizer report).
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "keyswap/core/error.hpp"
#include "keyswap/io/media_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = "/tmp/keyswap-fuzz-image-" + std::to_string(::getpid()) + ".img";
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    try {
        const keyswap::Frame f = keyswap::io::read_image(path);
        if (f.rgba.channels() != 4 || f.rgba.width() <= 0 || f.rgba.height() <= 0 ||
            f.rgba.width() > keyswap::io::kMaxFrameSide || f.rgba.height() > keyswap::io::kMaxFrameSide)
            __builtin_trap();
    } catch (const keyswap::Error&) {
    } catch (const std::bad_alloc&) {
    }
    return 0;
}
