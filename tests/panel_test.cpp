// The web panel's HTTP API (keyswap serve), through a real server on a free port and
// cpp-httplib's client: settings validated against the schema, the preview following them,
// uploads, settings files, the token, paths outside the allowed folders, bursts and clients
// that go away mid-stream, and a file processed with progress.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "face_test_util.hpp"
#include "keyswap/app/panel/panel_server.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "test_support.hpp"

namespace keyswap::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using app::panel::PanelOptions;
using app::panel::PanelServer;

constexpr int kW = 640, kH = 360;

// A 30 fps clip of `frames` copies of one picture.
void write_still_clip(const fs::path& path, Frame f, int frames, const io::EncodeOptions& encode = {}) {
    io::VideoParams vp;
    vp.width = f.rgba.width();
    vp.height = f.rgba.height();
    vp.fps_num = 30;
    vp.tb_den = 30;
    io::MediaWriter w(path, vp, encode);
    for (int i = 0; i < frames; ++i) {
        f.pts = i;
        w.write(f);
    }
    w.finish();
}

// A 2 s clip of a portrait photo in the middle of a green screen (every frame the same).
fs::path green_clip(const fs::path& dir) {
    const ImageU8 photo = load_rgba("faces/obama.jpg");
    cv::Mat src(photo.height(), photo.width(), CV_8UC4, const_cast<std::uint8_t*>(photo.data()));
    cv::Mat small;
    cv::resize(src, small, cv::Size(216, 270), 0, 0, cv::INTER_AREA);
    Frame f;
    f.rgba = ImageU8(kW, kH, 4);
    for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x) {
            std::uint8_t* p = &f.rgba.at(x, y);
            p[0] = 40, p[1] = 190, p[2] = 70, p[3] = 255;
        }
    for (int y = 0; y < small.rows; ++y) std::memcpy(&f.rgba.at(212, 60 + y), small.ptr(y), std::size_t(small.cols) * 4);
    const fs::path clip = dir / "green.mp4";
    io::EncodeOptions e;
    e.crf = 12;
    write_still_clip(clip, f, 60, e);
    return clip;
}

// A server on a free port, serving in its own thread, stopped and joined at the end.
struct Panel {
    std::unique_ptr<PanelServer> server;
    std::thread thread;
    std::unique_ptr<httplib::Client> client;

    explicit Panel(PanelOptions o) {
        o.port = 0;
        server = std::make_unique<PanelServer>(std::move(o));
        thread = std::thread([this] { server->run(); });
        client = std::make_unique<httplib::Client>("127.0.0.1", server->port());
        client->set_read_timeout(30, 0);
    }
    ~Panel() {
        server->stop();
        thread.join();
    }
    httplib::Result get(const std::string& path) { return client->Get(path.c_str()); }
    httplib::Result post(const std::string& path, const json& body) {
        return client->Post(path.c_str(), body.dump(), "application/json");
    }
};

class PanelApi : public ::testing::Test {
protected:
    void SetUp() override {
        if (!has_asset("faces/obama.jpg")) GTEST_SKIP() << "needs ../shared/assets";
        dir = scratch(std::string("panel_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        clip = green_clip(dir);
        opt.input = clip.string();
        opt.web_dir = fs::path(KEYSWAP_SOURCE_DIR) / "web";
        opt.allowed = {dir};
        opt.settings_dir = dir / "settings";
        pipeline::process_schema().apply_json(opt.settings, json::parse(R"({"key": {}})"));
    }
    fs::path dir, clip;
    PanelOptions opt;
};

std::string read_file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

json parse(const httplib::Result& r) { return json::parse(r->body); }

// The JPEG of the newest frame, once a frame newer than the settings change is out.
cv::Mat frame_after_change(Panel& p, const std::string& view) {
    std::uint64_t start = parse(p.get("/api/stats"))["frames"];
    for (int i = 0; i < 200 && parse(p.get("/api/stats"))["frames"].get<std::uint64_t>() < start + 3; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto r = p.get("/api/frame.jpg?view=" + view + "&width=640");
    EXPECT_EQ(r->status, 200);
    std::vector<std::uint8_t> bytes(r->body.begin(), r->body.end());
    return cv::imdecode(bytes, cv::IMREAD_COLOR);
}

cv::Scalar mean_at(const cv::Mat& bgr, cv::Rect r) { return cv::mean(bgr(r)); }

TEST_F(PanelApi, SettingsComeFromTheSchemaAreValidatedAndDriveThePreview) {
    Panel p(opt);
    auto schema = parse(p.get("/api/schema"));
    std::vector<std::string> names;
    for (auto& g : schema["groups"]) names.push_back(g["name"]);
    EXPECT_EQ(names, (std::vector<std::string>{"key", "face", "compose", "output"}));
    bool softness = false;
    for (auto& prm : schema["groups"][0]["params"]) softness = softness || prm["key"] == "softness";
    EXPECT_TRUE(softness);
    EXPECT_TRUE(schema["groups"][0]["optional"].get<bool>());

    // Keyed: the backdrop shows the checkerboard (grey), the matte is black there and white
    // on the subject.
    const cv::Rect backdrop(10, 10, 100, 100), subject(280, 150, 60, 60);
    cv::Mat keyed = frame_after_change(p, "result");
    ASSERT_FALSE(keyed.empty());
    const auto kb = mean_at(keyed, backdrop);
    EXPECT_LT(std::abs(kb[1] - kb[2]), 25) << "backdrop not keyed: " << kb;
    cv::Mat matte = frame_after_change(p, "matte");
    EXPECT_LT(mean_at(matte, backdrop)[0], 20);
    EXPECT_GT(mean_at(matte, subject)[0], 235);

    // A bad value is refused with its name and changes nothing.
    auto doc = parse(p.get("/api/settings"));
    doc["key"]["softness"] = 999;
    auto bad = p.post("/api/settings", doc);
    EXPECT_EQ(bad->status, 400);
    EXPECT_NE(parse(bad)["error"].get<std::string>().find("softness"), std::string::npos) << bad->body;
    EXPECT_EQ(p.post("/api/settings", json{{"nonsense", json::object()}})->status, 400);
    EXPECT_EQ(p.client->Post("/api/settings", "{not json", "application/json")->status, 400);
    EXPECT_EQ(parse(p.get("/api/settings")), parse(p.get("/api/settings")));
    EXPECT_NE(parse(p.get("/api/settings"))["key"]["softness"], 999);

    // Keying switched off in the panel: the green comes back in the preview, without a restart.
    doc = parse(p.get("/api/settings"));
    doc.erase("key");
    auto ok = p.post("/api/settings", doc);
    ASSERT_EQ(ok->status, 200) << ok->body;
    EXPECT_FALSE(parse(ok).contains("key"));
    cv::Mat plain = frame_after_change(p, "result");
    const auto pb = mean_at(plain, backdrop);
    EXPECT_GT(pb[1], pb[2] + 80) << "backdrop should be green again: " << pb;  // BGR: G high, R low

    json stats;
    for (int i = 0; i < 60; ++i) {  // the rate comes in one-second windows
        stats = parse(p.get("/api/stats"));
        if (stats["fps"].get<double>() > 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_GT(stats["fps"].get<double>(), 5.0);
    EXPECT_GT(stats["latency_ms"]["p50"].get<double>(), 0.0);
    EXPECT_EQ(stats["width"], kW);
    EXPECT_TRUE(stats["running"].get<bool>());
}

TEST_F(PanelApi, SourceFacesAreUploadedCroppedAndChosen) {
    opt.max_upload_bytes = 1u << 20;
    Panel p(opt);
    const std::string photo = read_file_bytes(asset("faces/biden.jpg"));
    httplib::MultipartFormDataItems items = {{"photo", photo, "biden.jpg", "image/jpeg"}};
    auto up = p.client->Post("/api/faces", items);
    ASSERT_EQ(up->status, 200) << up->body;
    auto photos = parse(up)["photos"];
    ASSERT_EQ(photos.size(), 1u);
    ASSERT_EQ(photos[0]["faces"].size(), 1u);
    auto crop = p.get(photos[0]["faces"][0]["crop"].get<std::string>());
    ASSERT_EQ(crop->status, 200);
    EXPECT_FALSE(cv::imdecode(std::vector<std::uint8_t>(crop->body.begin(), crop->body.end()), cv::IMREAD_COLOR).empty());

    // Not an image, whatever its name says; too large; not multipart.
    httplib::MultipartFormDataItems fake = {{"photo", "#!/bin/sh\nrm -rf /\n", "evil.jpg", "image/jpeg"}};
    EXPECT_EQ(p.client->Post("/api/faces", fake)->status, 415);
    httplib::MultipartFormDataItems big = {{"photo", std::string(2u << 20, '\xFF'), "big.jpg", "image/jpeg"}};
    const auto too_big = p.client->Post("/api/faces", big);
    ASSERT_TRUE(too_big);
    EXPECT_EQ(too_big->status, 413);
    EXPECT_EQ(p.post("/api/faces", json::object())->status, 400);
    EXPECT_EQ(parse(p.get("/api/faces"))["photos"].size(), 1u);

    // Choosing the face swaps it in: the face region of the preview changes.
    const cv::Rect face(280, 110, 80, 90);
    const cv::Mat before = frame_after_change(p, "result");
    auto chosen = p.post("/api/source", {{"photo", photos[0]["id"]}, {"face", 0}});
    ASSERT_EQ(chosen->status, 200) << chosen->body;
    EXPECT_EQ(parse(chosen)["face"]["source"].size(), 1u);
    EXPECT_EQ(p.post("/api/source", {{"photo", "p9"}, {"face", 0}})->status, 404);
    EXPECT_EQ(p.post("/api/source", {{"photo", photos[0]["id"]}, {"face", 3}})->status, 404);
    cv::Mat after;
    double moved = 0;
    // The new pass loads its models beside the running one (the preview keeps the old look
    // meanwhile): seconds on a loaded machine.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (moved < 12 && std::chrono::steady_clock::now() < give_up) {
        after = frame_after_change(p, "result");
        cv::Mat d;
        cv::absdiff(before(face), after(face), d);
        moved = cv::mean(d)[0] + cv::mean(d)[1] + cv::mean(d)[2];
    }
    EXPECT_GE(moved, 12) << "the swapped face should differ from the original";
}

TEST_F(PanelApi, SettingsFilesSaveLoadAndMatchTheCommandLine) {
    Panel p(opt);
    auto doc = parse(p.get("/api/settings"));
    doc["key"]["softness"] = 3;
    ASSERT_EQ(p.post("/api/settings", doc)->status, 200);
    auto saved = p.post("/api/settings/save", {{"name", "studio"}});
    ASSERT_EQ(saved->status, 200) << saved->body;
    EXPECT_EQ(parse(saved)["files"], json::array({"studio.json"}));
    // The same JSON --settings reads.
    const auto s = pipeline::load_settings(opt.settings_dir / "studio.json");
    ASSERT_TRUE(s.pass.keyer.has_value());

    doc["key"]["softness"] = 1;
    ASSERT_EQ(p.post("/api/settings", doc)->status, 200);
    auto loaded = p.post("/api/settings/load", {{"name", "studio.json"}});
    ASSERT_EQ(loaded->status, 200) << loaded->body;
    EXPECT_EQ(parse(loaded)["key"]["softness"], 3);
    EXPECT_EQ(p.post("/api/settings/load", {{"name", "nothing"}})->status, 404);
    auto exported = p.get("/api/settings?download=1");
    EXPECT_NE(exported->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
    EXPECT_EQ(parse(exported)["key"]["softness"], 3);
}

TEST_F(PanelApi, PathsOutsideTheAllowedFoldersAndBadNamesAreRefused) {
    Panel p(opt);
    EXPECT_EQ(p.post("/api/input", {{"input", "/etc/passwd"}})->status, 403);
    EXPECT_EQ(p.post("/api/input", {{"input", (dir / ".." / ".." / "etc" / "passwd").string()}})->status, 403);
    EXPECT_EQ(p.post("/api/input", {{"input", (dir / "missing.mp4").string()}})->status, 404);
    EXPECT_EQ(p.post("/api/settings/save", {{"name", "../escape"}})->status, 400);
    EXPECT_EQ(p.post("/api/settings/load", {{"name", "/etc/passwd"}})->status, 400);
    EXPECT_EQ(p.post("/api/process", {{"output", "/tmp/keyswap-outside.mkv"}})->status, 403);
    EXPECT_EQ(p.post("/api/process", {{"output", clip.string()}})->status, 400) << "would replace the input";
    EXPECT_EQ(p.post("/api/live", {{"outputs", {"/etc/cron.d/x.mkv"}}})->status, 403);
    EXPECT_FALSE(fs::exists("/tmp/keyswap-outside.mkv"));
    auto source = parse(p.get("/api/settings"));
    source["face"]["source"] = {"/no/such/photo.jpg"};
    EXPECT_EQ(p.post("/api/settings", source)->status, 400);

    // A symbolic link inside that points outside does not let a path out.
    fs::create_symlink("/etc", dir / "etc-link");
    EXPECT_FALSE(app::panel::inside_allowed(dir / "etc-link" / "passwd", {dir}));
    EXPECT_TRUE(app::panel::inside_allowed(dir / "sub" / "new.mkv", {dir}));
    EXPECT_FALSE(app::panel::inside_allowed(dir.string() + "-sibling/x", {dir}));
    EXPECT_EQ(app::panel::settings_file_name("a/b"), "");
    EXPECT_EQ(app::panel::settings_file_name(".hidden"), "");
    EXPECT_EQ(app::panel::settings_file_name("studio"), "studio.json");

    // Malformed requests: a 4xx with a message.
    EXPECT_EQ(p.get("/api/sample?x=2&y=0.5")->status, 400);
    EXPECT_EQ(p.get("/api/frame.jpg?view=x-ray")->status, 400);
    EXPECT_EQ(p.post("/api/source", json::object())->status, 400);
    EXPECT_EQ(p.client->Post("/api/reference", "[]", "application/json")->status, 400);
    auto missing = p.get("/api/nothing");
    EXPECT_EQ(missing->status, 404);
    EXPECT_TRUE(parse(missing).contains("error"));
}

TEST_F(PanelApi, ATokenIsRequiredWhenSetAndElsewhereThanLocalhost) {
    opt.token = "s3cret";
    Panel p(opt);
    EXPECT_EQ(p.get("/api/settings")->status, 401);
    EXPECT_EQ(p.get("/")->status, 401);
    EXPECT_EQ(p.get("/api/settings?token=wrong")->status, 401);
    EXPECT_EQ(p.get("/api/settings?token=s3cret")->status, 200);
    httplib::Headers h = {{"X-Keyswap-Token", "s3cret"}};
    EXPECT_EQ(p.client->Get("/api/stats", h)->status, 200);

    PanelOptions open = opt;
    open.token.clear();
    open.host = "0.0.0.0";
    open.input.clear();
    std::string why;
    EXPECT_EQ(error_of([&] { PanelServer s(open); }, &why), ErrorKind::Usage);
    EXPECT_NE(why.find("--token"), std::string::npos) << why;
}

// Raw socket: a browser that asks for the stream, reads a little and goes away.
void open_stream_and_drop(int port) {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        const std::string req = "GET /stream.mjpg?width=320 HTTP/1.1\r\nHost: x\r\n\r\n";
        (void)!::write(s, req.data(), req.size());
        char buf[4096];
        (void)!::read(s, buf, sizeof buf);
    }
    ::close(s);
}

TEST_F(PanelApi, SurvivesABurstAndClientsLeavingMidStream) {
    Panel p(opt);
    for (int i = 0; i < 12; ++i) open_stream_and_drop(p.server->port());
    std::atomic<int> answered{0};
    std::vector<std::thread> burst;
    for (int t = 0; t < 8; ++t)
        burst.emplace_back([&] {
            httplib::Client c("127.0.0.1", p.server->port());
            for (int i = 0; i < 25; ++i)
                if (auto r = c.Get("/api/stats"); r && r->status == 200) ++answered;
        });
    for (auto& t : burst) t.join();
    EXPECT_EQ(answered.load(), 200);
    // The dropped streams were let go: a new one still opens and delivers a JPEG.
    std::string got;
    httplib::Client c("127.0.0.1", p.server->port());
    c.Get("/stream.mjpg?width=320", [&](const char* data, std::size_t n) {
        got.append(data, n);
        return got.size() < 20000;
    });
    EXPECT_NE(got.find("Content-Type: image/jpeg"), std::string::npos);
}

TEST_F(PanelApi, TheReferenceFaceIsPickedByClickingItInThePreview) {
    Panel p(opt);
    frame_after_change(p, "result");
    // The photo sits at x 212..428, y 60..330 of the 640x360 picture; its face in the upper half.
    auto miss = p.post("/api/reference", {{"x", 0.05}, {"y", 0.1}});
    EXPECT_EQ(miss->status, 404) << miss->body;
    EXPECT_EQ(p.get("/api/reference.jpg")->status, 404);
    auto hit = p.post("/api/reference", {{"x", 320.0 / kW}, {"y", 150.0 / kH}});
    ASSERT_EQ(hit->status, 200) << hit->body;
    const auto settings = parse(hit)["settings"];
    EXPECT_EQ(settings["face"]["faces"], "reference");
    const fs::path file = settings["face"]["reference"].get<std::string>();
    EXPECT_TRUE(fs::is_regular_file(file));
    auto crop = p.get("/api/reference.jpg");
    ASSERT_EQ(crop->status, 200);
    const cv::Mat img = cv::imdecode(std::vector<std::uint8_t>(crop->body.begin(), crop->body.end()), cv::IMREAD_COLOR);
    EXPECT_GT(img.cols, 60);  // the face with a margin, not a sliver
}

TEST_F(PanelApi, LiveOutputsAndAnotherInputRunThroughTheLivePath) {
    Panel p(opt);
    const fs::path rec = dir / "rec.mkv";
    auto started = p.post("/api/live", {{"outputs", {"mkv:" + rec.string()}}});
    ASSERT_EQ(started->status, 200) << started->body;
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    auto stats = parse(p.get("/api/stats"));
    EXPECT_TRUE(stats["live"]["running"].get<bool>()) << stats.dump();
    ASSERT_EQ(p.post("/api/live/stop", json::object())->status, 200);
    EXPECT_FALSE(parse(p.get("/api/stats"))["live"]["running"].get<bool>());
    // The recording was finished properly when the output stopped, with its alpha.
    io::MediaReader r(rec);
    Frame f;
    int n = 0;
    while (r.read(f)) ++n;
    EXPECT_GT(n, 20);
    EXPECT_TRUE(r.info().has_alpha);

    // Another file as the input: the preview follows it (a smaller picture).
    const fs::path other = dir / "other.mp4";
    {
        Frame g;
        g.rgba = ImageU8(320, 240, 4);
        for (int y = 0; y < 240; ++y)  // a grey block on a green screen
            for (int x = 0; x < 320; ++x) {
                const bool block = x > 100 && x < 220 && y > 60 && y < 200;
                std::uint8_t* px = &g.rgba.at(x, y);
                px[0] = block ? 128 : 40, px[1] = block ? 128 : 190, px[2] = block ? 128 : 70, px[3] = 255;
            }
        write_still_clip(other, g, 30);
    }
    auto opened = p.post("/api/input", {{"input", other.string()}});
    ASSERT_EQ(opened->status, 200) << opened->body;
    json now = json::object();
    for (int i = 0; i < 200 && now.value("width", 0) != 320; ++i) {
        now = parse(p.get("/api/stats"));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(now["width"], 320) << now.dump();
    EXPECT_EQ(now["input"], other.string());

    // An input the pass cannot key (no screen in it) is refused at once, with the reason.
    const fs::path black = dir / "black.mp4";
    {
        Frame g;
        g.rgba = ImageU8(320, 240, 4);
        write_still_clip(black, g, 30);
    }
    auto refused = p.post("/api/input", {{"input", black.string()}});
    EXPECT_EQ(refused->status, 400) << refused->body;
    EXPECT_NE(refused->body.find("backdrop"), std::string::npos) << refused->body;
}

TEST_F(PanelApi, ProcessesTheInputFileToAnOutputWithProgress) {
    Panel p(opt);
    const fs::path out = dir / "out.mkv";
    auto started = p.post("/api/process", {{"output", out.string()}});
    ASSERT_EQ(started->status, 200) << started->body;
    json job;
    for (int i = 0; i < 600; ++i) {
        job = parse(p.get("/api/stats"))["job"];
        if (job["state"] != "running") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(job["state"], "done") << job.dump();
    EXPECT_DOUBLE_EQ(job["progress"].get<double>(), 1.0);
    io::MediaReader r(out);
    Frame f;
    int n = 0;
    while (r.read(f)) ++n;
    EXPECT_EQ(n, 60);
}

}  // namespace
}  // namespace keyswap::test
