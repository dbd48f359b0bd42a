#include "keyswap/app/panel/panel_server.hpp"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "keyswap/app/panel/preview_engine.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/face/detector.hpp"
#include "keyswap/io/live_input.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/pipeline/file_job.hpp"

namespace keyswap::app::panel {

namespace fs = std::filesystem;
using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Request checks

bool inside_allowed(const fs::path& path, const std::vector<fs::path>& folders) {
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
    if (ec || p.empty()) return false;
    for (const auto& f : folders) {
        const fs::path root = fs::weakly_canonical(fs::absolute(f, ec), ec);
        if (ec || root.empty()) continue;
        auto pi = p.begin();
        bool inside = true;
        for (auto ri = root.begin(); ri != root.end(); ++ri, ++pi)
            if (ri->empty()) continue;  // a trailing separator
            else if (pi == p.end() || *pi != *ri) {
                inside = false;
                break;
            }
        if (inside) return true;
    }
    return false;
}

std::string settings_file_name(const std::string& requested) {
    static const std::regex ok("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    if (!std::regex_match(requested, ok) || requested.find("..") != std::string::npos) return {};
    if (requested.size() >= 5 && requested.compare(requested.size() - 5, 5, ".json") == 0) return requested;
    return requested + ".json";
}

namespace {

// A 4xx answer that names the problem; thrown inside handlers, answered by guard().
struct HttpError {
    int status;
    std::string message;
};

[[noreturn]] void refuse(int status, std::string message) { throw HttpError{status, std::move(message)}; }

void send_json(httplib::Response& res, const json& j, int status = 200) {
    res.status = status;
    res.set_content(j.dump(), "application/json");
}

json body_json(const httplib::Request& req) {
    try {
        json j = json::parse(req.body);
        if (!j.is_object()) refuse(400, "the request body must be a JSON object");
        return j;
    } catch (const json::exception&) {
        refuse(400, "the request body is not JSON");
    }
}

std::string string_field(const json& j, const char* key) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
        refuse(400, std::string("missing \"") + key + "\" (a string)");
    return j[key].get<std::string>();
}

double unit_param(const httplib::Request& req, const char* key) {
    if (!req.has_param(key)) refuse(400, std::string("missing ") + key);
    char* end = nullptr;
    const std::string text = req.get_param_value(key);
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end || !(v >= 0.0 && v <= 1.0)) refuse(400, std::string(key) + " must be in 0..1");
    return v;
}

// What a request's input names: a camera, a network stream or a file inside the allowed folders.
bool is_device_or_url(const std::string& s) {
    static const std::regex device("(v4l2:)?/dev/video[0-9]{1,3}");
    static const std::regex url("(udp|srt|rtmp|rtsp|tcp|http|https)://[^\\s]+");
    return std::regex_match(s, device) || std::regex_match(s, url);
}

// Image uploads: JPEG, PNG or WebP, told by their first bytes, not by the name they came with.
const char* image_extension(const std::string& bytes) {
    if (bytes.size() > 3 && static_cast<unsigned char>(bytes[0]) == 0xFF && static_cast<unsigned char>(bytes[1]) == 0xD8)
        return ".jpg";
    if (bytes.size() > 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) return ".png";
    if (bytes.size() > 12 && bytes.compare(0, 4, "RIFF") == 0 && bytes.compare(8, 4, "WEBP") == 0) return ".webp";
    return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Preview pictures

cv::Mat over_checkerboard(const ImageU8& rgba) {
    cv::Mat out(rgba.height(), rgba.width(), CV_8UC3);
    for (int y = 0; y < rgba.height(); ++y) {
        const std::uint8_t* s = rgba.row(y);
        std::uint8_t* d = out.ptr<std::uint8_t>(y);
        for (int x = 0; x < rgba.width(); ++x) {
            const int bg = ((x >> 4) + (y >> 4)) & 1 ? 200 : 150;  // 16 px squares, as image editors show
            const int a = s[4 * x + 3];
            for (int c = 0; c < 3; ++c) d[3 * x + 2 - c] = std::uint8_t((s[4 * x + c] * a + bg * (255 - a) + 127) / 255);
        }
    }
    return out;
}

cv::Mat matte_of(const ImageU8& rgba) {
    cv::Mat out(rgba.height(), rgba.width(), CV_8UC3);
    for (int y = 0; y < rgba.height(); ++y) {
        const std::uint8_t* s = rgba.row(y);
        std::uint8_t* d = out.ptr<std::uint8_t>(y);
        for (int x = 0; x < rgba.width(); ++x) d[3 * x] = d[3 * x + 1] = d[3 * x + 2] = s[4 * x + 3];
    }
    return out;
}

std::string render_jpeg(const Picture& p, const std::string& view, int width) {
    if (!p.result) return {};
    cv::Mat bgr;
    if (view == "matte") bgr = matte_of(*p.result);
    else bgr = over_checkerboard(*p.result);
    if (view == "split") {
        const cv::Mat before = over_checkerboard(*p.original);
        const int half = bgr.cols / 2;
        before(cv::Rect(0, 0, half, bgr.rows)).copyTo(bgr(cv::Rect(0, 0, half, bgr.rows)));
        cv::line(bgr, {half, 0}, {half, bgr.rows - 1}, cv::Scalar(255, 255, 255), 2);
    }
    if (width > 0 && width < bgr.cols) {
        cv::Mat small;
        cv::resize(bgr, small, cv::Size(width, std::max(1, bgr.rows * width / bgr.cols)), 0, 0, cv::INTER_AREA);
        bgr = small;
    }
    std::vector<std::uint8_t> buf;
    cv::imencode(".jpg", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, 80});
    return std::string(buf.begin(), buf.end());
}

std::string view_param(const httplib::Request& req) {
    const std::string v = req.has_param("view") ? req.get_param_value("view") : "result";
    if (v != "result" && v != "matte" && v != "split") refuse(400, "view must be result, matte or split");
    return v;
}

int width_param(const httplib::Request& req) {
    if (!req.has_param("width")) return 640;
    const int w = std::atoi(req.get_param_value("width").c_str());
    if (w < 64 || w > 3840) refuse(400, "width must be 64..3840");
    return w;
}

cv::Mat to_bgr(const ImageU8& rgba) {
    cv::Mat out;
    cv::cvtColor(cv::Mat(rgba.height(), rgba.width(), CV_8UC4, const_cast<std::uint8_t*>(rgba.data())), out,
                 cv::COLOR_RGBA2BGR);
    return out;
}

// Faces in a picture, left to right (the order --source-face counts in).
std::vector<cv::Rect2f> faces_in(const ImageU8& rgba) {
    auto detector = face::FaceDetector::create(face::DetectorSpec{}, std::min(rgba.width(), 960));
    std::vector<cv::Rect2f> boxes;
    for (const auto& d : detector->detect(rgba.view())) boxes.push_back(d.box);
    std::sort(boxes.begin(), boxes.end(), [](auto& a, auto& b) { return a.x + a.width / 2 < b.x + b.width / 2; });
    return boxes;
}

std::string crop_jpeg(const ImageU8& rgba, cv::Rect2f box, float margin) {
    const cv::Rect2f grown(box.x - box.width * margin, box.y - box.height * margin, box.width * (1 + 2 * margin),
                           box.height * (1 + 2 * margin));
    const cv::Rect r = cv::Rect(grown) & cv::Rect(0, 0, rgba.width(), rgba.height());
    std::vector<std::uint8_t> buf;
    cv::imencode(".jpg", to_bgr(rgba)(r), buf, {cv::IMWRITE_JPEG_QUALITY, 88});
    return std::string(buf.begin(), buf.end());
}

struct Photo {
    std::string id, name;
    fs::path path;
    std::vector<cv::Rect2f> faces;
    std::vector<std::string> crops;  // JPEG, one per face
};

struct Job {
    std::string state = "idle";  // running | done | failed | cancelled
    double progress = 0;
    std::string output, error;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

struct PanelServer::Impl {
    PanelOptions opt;
    fs::path work_dir;  // private: uploads, the reference crop
    httplib::Server http;
    PreviewEngine engine;
    int port = 0;
    std::atomic<bool> stopping{false};
    std::atomic<int> streams{0};

    std::mutex m;  // guards the members below
    std::vector<Photo> photos;
    std::string reference_jpeg;
    Job job;
    std::thread job_thread;
    std::atomic<bool> job_cancel{false};

    explicit Impl(PanelOptions o) : opt(std::move(o)), engine(opt.settings) {}

    ~Impl() {
        job_cancel = true;
        if (job_thread.joinable()) job_thread.join();
        std::error_code ec;
        if (!work_dir.empty()) fs::remove_all(work_dir, ec);
    }

    // ---- settings ----
    std::vector<const Schema<pipeline::Settings>::Group*> shown_groups() const {
        std::vector<const Schema<pipeline::Settings>::Group*> out;
        for (const auto& g : pipeline::process_schema().groups())
            if (g.name == "key" || g.name == "face" || g.name == "compose" || g.name == "output") out.push_back(&g);
        return out;
    }

    json schema_json() const {
        json groups = json::array();
        const pipeline::Settings defaults;
        for (const auto* g : shown_groups()) {
            json params = json::array();
            for (const auto& p : g->params) params.push_back(param_spec(p));
            groups.push_back({{"name", g->name}, {"title", g->title}, {"optional", !g->values(defaults).has_value()},
                              {"params", params}});
        }
        return {{"groups", groups}};
    }

    json document(const pipeline::Settings& s) const {
        json doc = json::object();
        for (const auto* g : shown_groups())
            if (auto v = g->values(s)) doc[g->name] = *v;
        return doc;
    }

    // A whole document from the page: the shown groups replaced (an optional group left out
    // is off), the rest (encoder, run) kept. Checked before anything changes.
    json apply_document(const json& doc) {
        if (!doc.is_object()) refuse(400, "settings must be a JSON object of groups");
        pipeline::Settings next;
        const pipeline::Settings now = engine.settings();
        next.encode = now.encode;
        next.run = now.run;
        json only = json::object();
        for (auto& [name, v] : doc.items()) {
            if (name == "keyswap-settings") continue;
            bool shown = false;
            for (const auto* g : shown_groups()) shown = shown || g->name == name;
            if (!shown) refuse(400, "unknown settings group '" + name + "' (expected key, face, compose or output)");
            only[name] = v;
        }
        try {
            pipeline::process_schema().apply_json(next, only);
            pipeline::check_settings(next);
        } catch (const Error& e) {
            refuse(400, e.what());
        }
        // Files the pass will read must exist now: a typo is answered here, not on the next frame.
        for (const auto& f : next.pass.face ? next.pass.face->source : std::vector<std::string>{})
            if (!fs::is_regular_file(f)) refuse(400, "source photo not found: " + f);
        engine.apply(next);
        return document(next);
    }

    fs::path settings_dir() const {
        std::error_code ec;
        fs::create_directories(opt.settings_dir, ec);
        return opt.settings_dir;
    }

    // ---- request paths ----
    fs::path allowed_file(const std::string& requested, const char* what) const {
        if (!inside_allowed(requested, opt.allowed))
            refuse(403, std::string(what) + " outside the allowed folders: " + requested);
        return fs::weakly_canonical(fs::absolute(requested));
    }

    void check_input(const std::string& input) const {
        if (is_device_or_url(input)) return;
        const fs::path p = allowed_file(input, "input");
        if (!fs::is_regular_file(p)) refuse(404, "input not found: " + input);
    }

    void check_output(const std::string& output) const {
        if (output == "null:" || is_device_or_url(output)) return;
        std::string path = output;
        for (const char* prefix : {"webm:", "mkv:", "nut:"})
            if (path.rfind(prefix, 0) == 0) path = path.substr(std::char_traits<char>::length(prefix));
        if (is_device_or_url(path)) return;
        const fs::path p = allowed_file(path, "output");
        const fs::path in = engine.input();
        std::error_code ec;
        if (fs::exists(in) && fs::equivalent(in, p, ec)) refuse(400, "the output would replace the input: " + output);
    }

    // ---- faces ----
    json photos_json() const {
        json arr = json::array();
        for (const auto& p : photos) {
            json faces = json::array();
            for (std::size_t i = 0; i < p.faces.size(); ++i) {
                const auto& b = p.faces[i];
                faces.push_back({{"index", i}, {"box", {b.x, b.y, b.width, b.height}},
                                 {"crop", "/api/faces/" + p.id + "/" + std::to_string(i) + ".jpg"}});
            }
            arr.push_back({{"id", p.id}, {"name", p.name}, {"faces", faces}});
        }
        return {{"photos", arr}};
    }

    void add_photo(const httplib::MultipartFormData& file) {
        if (file.content.size() > opt.max_upload_bytes) refuse(413, "photo too large: " + file.filename);
        const char* ext = image_extension(file.content);
        if (!ext) refuse(415, "not a JPEG, PNG or WebP image: " + file.filename);
        Photo p;
        {
            std::lock_guard lock(m);
            if (photos.size() >= 32) refuse(409, "too many photos uploaded (32); restart the panel to clear them");
            p.id = "p" + std::to_string(photos.size() + 1);
        }
        p.name = file.filename.substr(0, 120);
        p.path = work_dir / (p.id + ext);
        {
            std::ofstream out(p.path, std::ios::binary);
            out.write(file.content.data(), static_cast<std::streamsize>(file.content.size()));
            if (!out) refuse(507, "cannot store the upload (disk full?)");
        }
        Frame f;
        try {
            f = io::read_image(p.path);
        } catch (const Error& e) {
            std::error_code ec;
            fs::remove(p.path, ec);
            refuse(415, "cannot read " + file.filename + ": " + e.detail());
        }
        p.faces = faces_in(f.rgba);
        for (const auto& b : p.faces) p.crops.push_back(crop_jpeg(f.rgba, b, 0.25f));
        std::lock_guard lock(m);
        photos.push_back(std::move(p));
    }

    // ---- file jobs ----
    void start_job(const std::string& output) {
        const std::string input = engine.input();
        if (io::LiveInput::kind_of(input) != io::LiveInputKind::File) refuse(409, "only a file input can be processed to a file");
        check_output(output);
        std::lock_guard lock(m);
        if (job.state == "running") refuse(409, "a file is already being processed");
        if (job_thread.joinable()) job_thread.join();
        pipeline::FileJob fj;
        fj.input = input;
        fj.output = fs::weakly_canonical(fs::absolute(output));
        fj.settings = engine.settings();
        fj.settings.run.quiet = true;
        try {
            pipeline::check_file_job(fj);
        } catch (const Error& e) {
            refuse(400, e.what());
        }
        job = Job{};
        job.state = "running";
        job.output = fj.output.string();
        job_cancel = false;
        job_thread = std::thread([this, fj] {
            std::string state = "done", error;
            try {
                pipeline::run_file_job(fj, [this](std::int64_t done, std::int64_t total, double) {
                    if (job_cancel) throw Error(ErrorKind::Interrupted, "cancelled");
                    std::lock_guard lock(m);
                    job.progress = total > 0 ? double(done) / double(total) : 0.0;
                });
            } catch (const Error& e) {
                state = e.kind() == ErrorKind::Interrupted ? "cancelled" : "failed";
                error = e.what();
            } catch (const std::exception& e) {
                state = "failed";
                error = e.what();
            }
            std::lock_guard lock(m);
            job.state = state;
            job.error = error;
            if (state == "done") job.progress = 1.0;
        });
    }

    json stats() {
        json j = engine.stats();
        std::lock_guard lock(m);
        if (job.state == "idle") j["job"] = nullptr;
        else j["job"] = {{"state", job.state}, {"progress", job.progress}, {"output", job.output}, {"error", job.error}};
        return j;
    }

    void routes();
};

namespace {

// Runs a handler; its refusals and library errors become a 4xx with a message, never a crash.
template <class F>
httplib::Server::Handler guard(F f) {
    return [f](const httplib::Request& req, httplib::Response& res) {
        try {
            f(req, res);
        } catch (const HttpError& e) {
            send_json(res, {{"error", e.message}}, e.status);
        } catch (const Error& e) {
            send_json(res, {{"error", std::string(e.what())}}, 400);
        } catch (const std::exception& e) {
            send_json(res, {{"error", std::string(e.what())}}, 500);
        }
    };
}

}  // namespace

void PanelServer::Impl::routes() {
    // The page's own files: a fixed list, so no request path reaches the file system.
    const std::map<std::string, std::pair<std::string, std::string>> pages = {
        {"/", {"index.html", "text/html; charset=utf-8"}},
        {"/index.html", {"index.html", "text/html; charset=utf-8"}},
        {"/panel.js", {"panel.js", "text/javascript; charset=utf-8"}},
        {"/panel.css", {"panel.css", "text/css; charset=utf-8"}}};
    for (const auto& [route, file] : pages) {
        const fs::path path = opt.web_dir / file.first;
        const std::string type = file.second;
        http.Get(route, guard([path, type](const httplib::Request&, httplib::Response& res) {
                     std::ifstream in(path, std::ios::binary);
                     if (!in) refuse(404, "the panel's page is missing: " + path.string());
                     res.set_content(std::string(std::istreambuf_iterator<char>(in), {}), type.c_str());
                 }));
    }

    http.Get("/api/schema", guard([this](const httplib::Request&, httplib::Response& res) { send_json(res, schema_json()); }));
    http.Get("/api/settings", guard([this](const httplib::Request& req, httplib::Response& res) {
                 json doc = document(engine.settings());
                 if (req.has_param("download")) {
                     doc["keyswap-settings"] = 1;
                     res.set_header("Content-Disposition", "attachment; filename=\"keyswap-settings.json\"");
                 }
                 res.set_content(doc.dump(2), "application/json");
             }));
    http.Post("/api/settings",
              guard([this](const httplib::Request& req, httplib::Response& res) { send_json(res, apply_document(body_json(req))); }));
    http.Get("/api/settings/files", guard([this](const httplib::Request&, httplib::Response& res) {
                 json files = json::array();
                 std::error_code ec;
                 for (const auto& e : fs::directory_iterator(settings_dir(), ec))
                     if (e.path().extension() == ".json") files.push_back(e.path().filename().string());
                 std::sort(files.begin(), files.end());
                 send_json(res, {{"files", files}});
             }));
    http.Post("/api/settings/save", guard([this](const httplib::Request& req, httplib::Response& res) {
                  const std::string name = settings_file_name(string_field(body_json(req), "name"));
                  if (name.empty()) refuse(400, "a settings name is letters, digits, '-', '_' and '.' (up to 64)");
                  pipeline::save_settings(engine.settings(), settings_dir() / name);
                  json files = json::array();
                  for (const auto& e : fs::directory_iterator(settings_dir()))
                      if (e.path().extension() == ".json") files.push_back(e.path().filename().string());
                  std::sort(files.begin(), files.end());
                  send_json(res, {{"files", files}});
              }));
    http.Post("/api/settings/load", guard([this](const httplib::Request& req, httplib::Response& res) {
                  const std::string name = settings_file_name(string_field(body_json(req), "name"));
                  if (name.empty()) refuse(400, "a settings name is letters, digits, '-', '_' and '.' (up to 64)");
                  const fs::path file = settings_dir() / name;
                  if (!fs::is_regular_file(file)) refuse(404, "no settings file " + name);
                  json doc;
                  try {
                      doc = keyswap::read_json_file(file);
                  } catch (const Error& e) {
                      refuse(400, e.what());
                  }
                  json shown = json::object();
                  for (const auto* g : shown_groups())
                      if (doc.contains(g->name)) shown[g->name] = doc[g->name];
                  send_json(res, apply_document(shown));
              }));

    http.Get("/api/stats", guard([this](const httplib::Request&, httplib::Response& res) { send_json(res, stats()); }));
    http.Get("/api/frame.jpg", guard([this](const httplib::Request& req, httplib::Response& res) {
                 const std::string view = view_param(req);
                 const int width = width_param(req);
                 Picture p = engine.latest();
                 if (!p.result) p = engine.wait_newer(0, std::chrono::seconds(5));
                 if (!p.result) refuse(503, "no frame yet from " + engine.input());
                 res.set_content(render_jpeg(p, view, width), "image/jpeg");
             }));
    http.Get("/stream.mjpg", guard([this](const httplib::Request& req, httplib::Response& res) {
                 const std::string view = view_param(req);
                 const int width = width_param(req);
                 if (streams.load() >= 4) refuse(503, "too many preview streams open (4)");
                 ++streams;
                 auto serial = std::make_shared<std::uint64_t>(0);
                 res.set_header("Cache-Control", "no-store");
                 res.set_chunked_content_provider(
                     "multipart/x-mixed-replace; boundary=keyswapframe",
                     [this, view, width, serial](std::size_t, httplib::DataSink& sink) {
                         if (stopping) return false;
                         const Picture p = engine.wait_newer(*serial, std::chrono::milliseconds(500));
                         if (!p.result || p.serial == *serial) return !stopping && sink.is_writable();
                         *serial = p.serial;
                         const std::string jpeg = render_jpeg(p, view, width);
                         const std::string head = "--keyswapframe\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                                                  std::to_string(jpeg.size()) + "\r\n\r\n";
                         return sink.write(head.data(), head.size()) && sink.write(jpeg.data(), jpeg.size()) &&
                                sink.write("\r\n", 2);
                     },
                     [this](bool) { --streams; });
             }));
    http.Get("/api/sample", guard([this](const httplib::Request& req, httplib::Response& res) {
                 const double x = unit_param(req, "x"), y = unit_param(req, "y");
                 const Picture p = engine.latest();
                 if (!p.original) refuse(503, "no frame yet");
                 const ImageU8& img = *p.original;
                 const int cx = std::min(img.width() - 1, int(x * img.width())), cy = std::min(img.height() - 1, int(y * img.height()));
                 // A 5x5 mean: one noisy pixel of a camera is not the screen's colour.
                 int sum[3] = {0, 0, 0}, n = 0;
                 for (int yy = std::max(0, cy - 2); yy <= std::min(img.height() - 1, cy + 2); ++yy)
                     for (int xx = std::max(0, cx - 2); xx <= std::min(img.width() - 1, cx + 2); ++xx, ++n)
                         for (int c = 0; c < 3; ++c) sum[c] += img.at(xx, yy, c);
                 int rgb[3];
                 for (int c = 0; c < 3; ++c) rgb[c] = (sum[c] + n / 2) / n;
                 char hex[8];
                 std::snprintf(hex, sizeof hex, "#%02X%02X%02X", rgb[0], rgb[1], rgb[2]);
                 send_json(res, {{"rgb", {rgb[0], rgb[1], rgb[2]}}, {"hex", hex}});
             }));

    http.Get("/api/faces", guard([this](const httplib::Request&, httplib::Response& res) {
                 std::lock_guard lock(m);
                 send_json(res, photos_json());
             }));
    http.Post("/api/faces", guard([this](const httplib::Request& req, httplib::Response& res) {
                  if (!req.is_multipart_form_data() || !req.has_file("photo"))
                      refuse(400, "send the photos as multipart/form-data in a field named \"photo\"");
                  std::vector<httplib::MultipartFormData> files;
                  for (auto it = req.files.lower_bound("photo"); it != req.files.upper_bound("photo"); ++it)
                      files.push_back(it->second);
                  for (const auto& f : files) add_photo(f);
                  std::lock_guard lock(m);
                  send_json(res, photos_json());
              }));
    http.Get(R"(/api/faces/(p[0-9]+)/([0-9]+)\.jpg)", guard([this](const httplib::Request& req, httplib::Response& res) {
                 const std::string id = req.matches[1];
                 const std::size_t i = std::stoul(req.matches[2]);
                 std::lock_guard lock(m);
                 for (const auto& p : photos)
                     if (p.id == id && i < p.crops.size()) return res.set_content(p.crops[i], "image/jpeg");
                 refuse(404, "no face " + std::to_string(i) + " in photo " + id);
             }));
    http.Post("/api/source", guard([this](const httplib::Request& req, httplib::Response& res) {
                  const json b = body_json(req);
                  const std::string id = string_field(b, "photo");
                  if (!b.contains("face") || !b["face"].is_number_integer()) refuse(400, "missing \"face\" (a number)");
                  const int face = b["face"].get<int>();
                  fs::path path;
                  std::size_t count = 0;
                  {
                      std::lock_guard lock(m);
                      for (const auto& p : photos)
                          if (p.id == id) path = p.path, count = p.faces.size();
                  }
                  if (path.empty()) refuse(404, "no uploaded photo " + id);
                  if (face < 0 || std::size_t(face) >= count) refuse(404, "photo " + id + " has no face " + std::to_string(face));
                  json doc = document(engine.settings());
                  doc["face"]["source"] = json::array({path.string()});
                  doc["face"]["source-face"] = count > 1 ? face : -1;
                  send_json(res, apply_document(doc));
              }));
    http.Post("/api/reference", guard([this](const httplib::Request& req, httplib::Response& res) {
                  const json b = body_json(req);
                  if (!b.contains("x") || !b.contains("y") || !b["x"].is_number() || !b["y"].is_number())
                      refuse(400, "missing \"x\" and \"y\" (0..1 of the picture)");
                  const double x = b["x"].get<double>(), y = b["y"].get<double>();
                  if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) refuse(400, "x and y must be in 0..1");
                  const Picture p = engine.latest();
                  if (!p.original) refuse(503, "no frame yet");
                  const ImageU8& img = *p.original;
                  const cv::Point2f at(float(x * img.width()), float(y * img.height()));
                  const auto boxes = faces_in(img);
                  const cv::Rect2f* hit = nullptr;
                  for (const auto& bx : boxes)
                      if (cv::Rect2f(bx.x - bx.width * 0.25f, bx.y - bx.height * 0.25f, bx.width * 1.5f, bx.height * 1.5f).contains(at))
                          hit = &bx;
                  if (!hit) refuse(404, "no face there");
                  const std::string jpeg = crop_jpeg(img, *hit, 0.5f);
                  const fs::path file = work_dir / "reference.jpg";
                  {
                      std::ofstream out(file, std::ios::binary);
                      out.write(jpeg.data(), static_cast<std::streamsize>(jpeg.size()));
                      if (!out) refuse(507, "cannot store the reference face (disk full?)");
                  }
                  {
                      std::lock_guard lock(m);
                      reference_jpeg = jpeg;
                  }
                  json doc = document(engine.settings());
                  doc["face"]["reference"] = file.string();
                  doc["face"]["faces"] = "reference";
                  send_json(res, {{"crop", "/api/reference.jpg"}, {"settings", apply_document(doc)}});
              }));
    http.Get("/api/reference.jpg", guard([this](const httplib::Request&, httplib::Response& res) {
                 std::lock_guard lock(m);
                 if (reference_jpeg.empty()) refuse(404, "no reference face picked yet");
                 res.set_content(reference_jpeg, "image/jpeg");
             }));

    http.Post("/api/input", guard([this](const httplib::Request& req, httplib::Response& res) {
                  const std::string input = string_field(body_json(req), "input");
                  check_input(input);
                  engine.open(input, engine.outputs());
                  send_json(res, {{"input", input}});
              }));
    http.Post("/api/live", guard([this](const httplib::Request& req, httplib::Response& res) {
                  const json b = body_json(req);
                  if (!b.contains("outputs") || !b["outputs"].is_array() || b["outputs"].empty())
                      refuse(400, "missing \"outputs\" (a list such as [\"udp://127.0.0.1:5000\"])");
                  std::vector<std::string> outs;
                  for (const auto& o : b["outputs"]) {
                      if (!o.is_string()) refuse(400, "each output is a string");
                      check_output(o.get<std::string>());
                      outs.push_back(o.get<std::string>());
                  }
                  engine.set_outputs(outs);
                  send_json(res, stats()["live"]);
              }));
    http.Post("/api/live/stop", guard([this](const httplib::Request&, httplib::Response& res) {
                  engine.set_outputs({});
                  send_json(res, stats()["live"]);
              }));
    http.Post("/api/process", guard([this](const httplib::Request& req, httplib::Response& res) {
                  start_job(string_field(body_json(req), "output"));
                  send_json(res, stats()["job"]);
              }));
    http.Post("/api/process/stop", guard([this](const httplib::Request&, httplib::Response& res) {
                  job_cancel = true;
                  send_json(res, stats()["job"]);
              }));
}

PanelServer::PanelServer(PanelOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    auto& o = impl_->opt;
    const bool local = o.host == "127.0.0.1" || o.host == "localhost" || o.host == "::1";
    if (!local && o.token.empty())
        fail(ErrorKind::Usage, "binding to " + o.host + " needs --token (every request must then carry it)");
    char tmpl[] = "/tmp/keyswap-panel-XXXXXX";  // mkdtemp: created 0700, so uploads stay private
    if (!::mkdtemp(tmpl)) fail(ErrorKind::Output, "cannot create a private temporary folder", "/tmp");
    impl_->work_dir = tmpl;
    if (o.allowed.empty()) o.allowed.push_back(fs::current_path());
    if (!o.input.empty()) {
        impl_->check_input(o.input);  // the command line's own input is checked like a request's
        impl_->engine.open(o.input);
    }

    auto& http = impl_->http;
    http.set_payload_max_length(o.max_upload_bytes * 4 + (1u << 16));
    http.set_read_timeout(10, 0);
    http.set_write_timeout(10, 0);
    const std::string token = o.token;
    http.set_pre_routing_handler([token](const httplib::Request& req, httplib::Response& res) {
        if (token.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const bool ok = (req.has_param("token") && req.get_param_value("token") == token) ||
                        req.get_header_value("X-Keyswap-Token") == token;
        if (ok) return httplib::Server::HandlerResponse::Unhandled;
        send_json(res, {{"error", "missing or wrong token (add ?token=... to the address)"}}, 401);
        return httplib::Server::HandlerResponse::Handled;
    });
    http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty()) send_json(res, {{"error", "HTTP " + std::to_string(res.status)}}, res.status);
    });
    impl_->routes();
    impl_->port = o.port == 0 ? http.bind_to_any_port(o.host) : (http.bind_to_port(o.host, o.port) ? o.port : -1);
    if (impl_->port <= 0)
        fail(ErrorKind::Usage, "cannot listen on " + o.host + ":" + std::to_string(o.port) + " (in use, or not an address here)");
}

PanelServer::~PanelServer() { stop(); }

int PanelServer::port() const { return impl_->port; }

void PanelServer::run() { impl_->http.listen_after_bind(); }

void PanelServer::stop() {
    impl_->stopping = true;
    impl_->http.stop();
}

}  // namespace keyswap::app::panel
