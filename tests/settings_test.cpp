// The one settings schema: every process flag from a table, settings files (load, save,
// errors naming the key and the file), live snapshots between frames, --watch, and the
// README's option reference generated from the schema.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "keyer_scenes.hpp"
#include "keyswap/core/snapshot.hpp"
#include "keyswap/io/frames.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/pipeline/settings.hpp"
#include "test_support.hpp"

using namespace keyswap;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// Settings files rewritten within one timestamp tick must still count as changed.
void touch_later(const fs::path& p, int seconds) {
    fs::last_write_time(p, fs::file_time_type::clock::now() + std::chrono::seconds(seconds));
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

bool same(const ImageU8& a, const ImageU8& b) {
    return a.width() == b.width() && a.height() == b.height() && test::mean_abs_diff(a, b) == 0.0;
}

}  // namespace

TEST(Settings, EveryProcessOptionComesFromTheSchema) {
    const auto& schema = pipeline::process_schema();
    for (const char* key : {"key", "softness", "garbage", "source", "faces", "blend", "color-match", "light-wrap",
                            "alpha", "background", "debug-matte", "codec", "crf", "quality", "preset", "frames",
                            "no-audio", "threads", "quiet"})
        EXPECT_NE(schema.find(key), nullptr) << key;
    // Choices are listed by the table, from the enum's one name array.
    const ParamInfo* blend = schema.find("blend");
    ASSERT_NE(blend, nullptr);
    EXPECT_EQ(blend->type, ParamType::Choice);
    EXPECT_EQ(blend->choices, (std::vector<std::string>{"feather", "poisson"}));
    EXPECT_EQ(blend->def, "feather");
    EXPECT_TRUE(blend->runtime);
    EXPECT_FALSE(schema.find("detector")->runtime);
    // Keys are flags: unique over the whole schema.
    std::set<std::string> keys;
    for (const auto& g : schema.groups())
        for (const auto& p : g.params) EXPECT_TRUE(keys.insert(p.key).second) << "duplicate key " << p.key;
}

TEST(Settings, ChoicesBecomeEnumsAndBadValuesNameTheKey) {
    pipeline::Settings s;
    const auto& schema = pipeline::process_schema();
    schema.set(s, "blend", "poisson");
    schema.set(s, "alpha", "premultiplied");
    ASSERT_TRUE(s.pass.face.has_value());  // a face key switches the face swap on
    EXPECT_EQ(s.pass.face->blend, face::BlendMode::Poisson);
    EXPECT_EQ(s.pass.options.alpha, pipeline::AlphaMode::Premultiplied);
    const std::string e = error_of([&] { schema.set(s, "color-match", "lab-shadow"); });
    EXPECT_NE(e.find("--color-match"), std::string::npos) << e;
    EXPECT_NE(e.find("off|lab|lab-light|lab-shading"), std::string::npos) << e;
    EXPECT_EQ(s.pass.face->color_match, face::ColourMatch::LabLight);  // unchanged (the default)
    pipeline::Settings t;
    EXPECT_THROW(schema.set(t, "softness", "51"), Error);
    EXPECT_FALSE(t.pass.keyer.has_value());  // a rejected value does not switch keying on
}

TEST(Settings, FileThenFlagsAndSaveRoundTrip) {
    const auto dir = test::scratch("settings_file");
    const fs::path file = dir / "look.json";
    write_file(file, R"({"keyswap-settings": 1, "key": {"softness": 3, "garbage": ["0,0,10,10"]},
                        "face": {"blend": "poisson", "source": ["a.jpg"]}, "encode": {"crf": 22}})");
    const auto s = pipeline::load_settings(file, {{"softness", {"4.5"}}, {"garbage", {"1,1,5,5", "2,2,5,5"}}});
    ASSERT_TRUE(s.pass.keyer && s.pass.face);
    EXPECT_DOUBLE_EQ(s.pass.keyer->softness, 4.5);  // the flag wins
    EXPECT_EQ(s.pass.keyer->garbage, (std::vector<std::string>{"1,1,5,5", "2,2,5,5"}));  // a list flag replaces
    EXPECT_EQ(s.pass.face->blend, face::BlendMode::Poisson);
    EXPECT_EQ(s.encode.crf, 22);
    EXPECT_FALSE(s.pass.compose.light_wrap);

    const fs::path saved = dir / "saved.json";
    pipeline::save_settings(s, saved);
    const auto back = pipeline::load_settings(saved);
    EXPECT_EQ(pipeline::process_schema().to_json(back), pipeline::process_schema().to_json(s));
    // A stage that is off is not in the file, and stays off.
    const auto off = pipeline::load_settings({}, {{"crf", {"30"}}});
    pipeline::save_settings(off, saved);
    const auto off_back = pipeline::load_settings(saved);
    EXPECT_FALSE(off_back.pass.keyer.has_value());
    EXPECT_FALSE(off_back.pass.face.has_value());
    EXPECT_EQ(off_back.encode.crf, 30);
}

TEST(Settings, BadFilesNameTheKeyAndTheFile) {
    const auto dir = test::scratch("settings_bad");
    const fs::path file = dir / "bad.json";
    struct Case {
        const char* text;
        const char* says;
    } cases[] = {
        {R"({"key": {"sofness": 2}})", "sofness"},
        {R"({"key": {"softness": "2"}})", "softness"},   // wrong type: a string for a number
        {R"({"key": {"softness": 99}})", "--softness"},  // out of range
        {R"({"key": {"refine": 1}})", "refine"},         // a number for a boolean
        {R"({"face": {"blend": "smudge"}})", "feather|poisson"},
        {R"({"keyer": {}})", "keyer"},                   // unknown group
        {R"({"key": {"softness": 2},})", "not valid JSON"},
        {R"({"run": {"frames": "9-3"}})", "--frames"},
        {R"({"key": {"clip-black": 0.9, "clip-white": 0.5}})", "--clip-black"},
        {R"([1, 2])", "JSON object"},
    };
    for (const auto& c : cases) {
        write_file(file, c.text);
        const std::string e = error_of([&] { (void)pipeline::load_settings(file); });
        EXPECT_NE(e.find(c.says), std::string::npos) << c.text << " -> " << e;
        EXPECT_NE(e.find(file.string()), std::string::npos) << c.text << " -> " << e;
        try {
            (void)pipeline::load_settings(file);
        } catch (const Error& err) {
            EXPECT_EQ(err.kind(), ErrorKind::Usage) << c.text;
        }
    }
}

namespace {

// A short green-screen clip: the same subject, fresh sensor noise per frame.
std::vector<Frame> clip(int n) {
    std::vector<Frame> out;
    for (int i = 0; i < n; ++i) {
        auto spec = scenes::green_scene(160, 90, "");
        spec.seed = 10 + i;
        Frame f;
        f.rgba = scenes::make_scene(spec).frame;
        f.index = i;
        f.time = i / 25.0;
        out.push_back(std::move(f));
    }
    return out;
}

pipeline::PassConfig keyed(double softness) {
    pipeline::PassConfig c;
    c.keyer = matte::KeyerSettings{};
    c.keyer->temporal = 0;  // each output depends on its own frame and the settings alone
    c.keyer->softness = softness;
    return c;
}

std::vector<ImageU8> run_all(const pipeline::PassConfig& c, const std::vector<Frame>& frames) {
    pipeline::FramePass pass(c, ThreadPool::shared());
    std::vector<ImageU8> out;
    for (Frame f : frames) {
        pass.process(f);
        out.push_back(f.rgba);
    }
    return out;
}

}  // namespace

TEST(LiveSettings, SoftnessChangedMidStreamAppliesFromTheNextFrame) {
    const auto frames = clip(6);
    const auto sharp = run_all(keyed(0), frames), soft = run_all(keyed(6), frames);
    ASSERT_FALSE(same(sharp[3], soft[3]));  // the change is visible at all

    auto slot = std::make_shared<pipeline::PassSlot>(std::make_shared<const pipeline::PassConfig>(keyed(0)));
    pipeline::FramePass pass(*slot->load(), ThreadPool::shared());
    pass.follow(slot);
    for (int i = 0; i < 6; ++i) {
        if (i == 3) slot->publish(std::make_shared<const pipeline::PassConfig>(keyed(6)));
        Frame f = frames[i];
        pass.process(f);
        EXPECT_TRUE(same(f.rgba, i < 3 ? sharp[i] : soft[i])) << "frame " << i;
    }
    EXPECT_DOUBLE_EQ(pass.config().keyer->softness, 6);
}

TEST(LiveSettings, ConcurrentSwapsNeverTearAFrame) {
    const int n = 16;
    const auto frames = clip(n);
    const auto sharp = run_all(keyed(0), frames), soft = run_all(keyed(6), frames);
    auto slot = std::make_shared<pipeline::PassSlot>(std::make_shared<const pipeline::PassConfig>(keyed(0)));
    pipeline::FramePass pass(*slot->load(), ThreadPool::shared());
    pass.follow(slot);
    std::atomic<bool> done{false};
    std::thread control([&] {
        for (int k = 0; !done; ++k) slot->publish(std::make_shared<const pipeline::PassConfig>(keyed(k % 2 ? 6 : 0)));
    });
    int torn = 0;
    for (int i = 0; i < n; ++i) {
        Frame f = frames[i];
        pass.process(f);
        torn += !same(f.rgba, sharp[i]) && !same(f.rgba, soft[i]);
    }
    done = true;
    control.join();
    EXPECT_EQ(torn, 0);  // every frame is wholly one snapshot's output
}

TEST(LiveSettings, FixedSettingsAndStageSwitchesAreRefusedNotApplied) {
    auto c = keyed(0);
    pipeline::FramePass pass(c, ThreadPool::shared());
    auto next = keyed(2);
    next.options.alpha = pipeline::AlphaMode::Premultiplied;  // not live-changeable
    next.face = face::FaceSettings{};                         // switching a stage on
    const auto refused = pass.update(next);
    ASSERT_EQ(refused.size(), 2u);
    EXPECT_DOUBLE_EQ(pass.config().keyer->softness, 2);  // the live part applied
    EXPECT_EQ(pass.config().options.alpha, pipeline::AlphaMode::Straight);
    EXPECT_FALSE(pass.config().face.has_value());
    auto bad = keyed(2);
    bad.keyer->clip_black = 0.9, bad.keyer->clip_white = 0.5;
    EXPECT_THROW(pass.update(bad), Error);
    EXPECT_DOUBLE_EQ(pass.config().keyer->clip_black, matte::KeyerSettings{}.clip_black);
}

TEST(LiveSettings, WatchedFileReloadsAndABadFileKeepsTheLastGoodSettings) {
    const auto dir = test::scratch("settings_watch");
    const fs::path file = dir / "live.json";
    write_file(file, R"({"key": {"softness": 1, "temporal": 0}})");
    auto initial = pipeline::load_settings(file);
    auto slot = std::make_shared<pipeline::PassSlot>(std::make_shared<const pipeline::PassConfig>(initial.pass));
    std::vector<std::string> said;
    pipeline::SettingsFileWatcher watch(file, {{"clip-white", {"0.9"}}}, slot,
                                        [&](const std::string& why) { said.push_back(why); }, false);
    EXPECT_FALSE(watch.poll());  // unchanged

    write_file(file, R"({"key": {"softness": 5, "temporal": 0}})");
    touch_later(file, 1);
    EXPECT_TRUE(watch.poll());
    EXPECT_DOUBLE_EQ(slot->load()->keyer->softness, 5);
    EXPECT_DOUBLE_EQ(slot->load()->keyer->clip_white, 0.9);  // the command line's override stays on top
    const auto version = slot->version();

    write_file(file, R"({"key": {"softness": 500}})");
    touch_later(file, 2);
    EXPECT_FALSE(watch.poll());
    EXPECT_EQ(slot->version(), version);  // nothing published
    EXPECT_DOUBLE_EQ(slot->load()->keyer->softness, 5);
    ASSERT_EQ(said.size(), 1u);
    EXPECT_NE(said[0].find("--softness"), std::string::npos) << said[0];
    EXPECT_NE(said[0].find(file.string()), std::string::npos) << said[0];
    EXPECT_NE(said[0].find("keeping the previous settings"), std::string::npos) << said[0];

    write_file(file, R"({"key": {"softness": 7, "temporal": 0}})");
    touch_later(file, 3);
    EXPECT_TRUE(watch.poll());
    EXPECT_DOUBLE_EQ(slot->load()->keyer->softness, 7);
}

// Writers that truncate and then write (a shell's `>`, std::ofstream) change the file twice; a
// poll can land between the two, or see the first stamp with the finished text. Either way the
// user made one change, and `--watch` reports one reload, no spurious error.
TEST(LiveSettings, OneRewriteIsOneReloadAndATouchIsNone) {
    const auto dir = test::scratch("settings_watch_rewrite");
    const fs::path file = dir / "live.json";
    write_file(file, R"({"key": {"softness": 1, "temporal": 0}})");
    auto slot = std::make_shared<pipeline::PassSlot>(
        std::make_shared<const pipeline::PassConfig>(pipeline::load_settings(file).pass));
    std::vector<std::string> said;
    pipeline::SettingsFileWatcher watch(file, {}, slot, [&](const std::string& why) { said.push_back(why); }, false);

    touch_later(file, 1);  // same text, new time
    EXPECT_FALSE(watch.poll());

    write_file(file, "");  // truncated, the text not written yet
    touch_later(file, 2);
    EXPECT_FALSE(watch.poll());
    write_file(file, R"({"key": {"softness": 4, "temporal": 0}})");
    touch_later(file, 3);
    EXPECT_TRUE(watch.poll());
    touch_later(file, 4);  // the second stamp of the same rewrite
    EXPECT_FALSE(watch.poll());
    EXPECT_EQ(watch.reloads(), 1);
    EXPECT_TRUE(said.empty()) << said.front();
    EXPECT_DOUBLE_EQ(slot->load()->keyer->softness, 4);
}

TEST(Settings, ReadmeOptionReferenceMatchesTheSchema) {
    const auto r = test::run_cli("settings --markdown");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ifstream in(fs::path(KEYSWAP_SOURCE_DIR) / "README.md");
    std::stringstream text;
    text << in.rdbuf();
    const std::string readme = text.str();
    const std::string begin = "<!-- settings:begin -->\n", end = "<!-- settings:end -->";
    const auto b = readme.find(begin), e = readme.find(end);
    ASSERT_NE(b, std::string::npos) << "README.md has no " << begin;
    ASSERT_NE(e, std::string::npos);
    EXPECT_EQ(readme.substr(b + begin.size(), e - b - begin.size()), r.out)
        << "README.md's option reference is out of date: replace it with `keyswap settings --markdown`";
    EXPECT_NE(r.out.find("`--softness`"), std::string::npos);
    EXPECT_NE(r.out.find("`--detect-every`"), std::string::npos);  // faces
    EXPECT_NE(r.out.find("`--stages`"), std::string::npos);        // bench
}

TEST(Settings, CliSaveThenProcessWithTheFile) {
    const auto dir = test::scratch("settings_cli");
    const fs::path file = dir / "s.json";
    auto r = test::run_cli("settings --save " + file.string() + " --softness 2 --blend poisson --crf 20");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto s = pipeline::load_settings(file);
    EXPECT_DOUBLE_EQ(s.pass.keyer->softness, 2);
    EXPECT_EQ(s.pass.face->blend, face::BlendMode::Poisson);
    r = test::run_cli("settings --json");
    ASSERT_EQ(r.exit_code, 0);
    const auto j = nlohmann::json::parse(r.out);
    bool found = false;
    for (auto& row : j["process"])
        if (row["key"] == "softness") {
            found = true;
            EXPECT_EQ(row["group"], "key");
            EXPECT_EQ(row["unit"], "px");
            EXPECT_EQ(row["runtime"], true);
            EXPECT_EQ(row["max"], 50);
        }
    EXPECT_TRUE(found);
    write_file(file, R"({"key": {"softnes": 2}})");
    r = test::run_cli("process -q -i in.mp4 -o out.webm --settings " + file.string());
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("softnes"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    // --watch on a run: the watcher starts with the file's settings and stops with the run.
    write_file(file, R"({"key": {"key": "green", "softness": 1}})");
    {
        Frame f;
        f.rgba = ImageU8(32, 24, 4, 255);
        for (int y = 0; y < 24; ++y)
            for (int x = 0; x < 32; ++x) {
                f.rgba.at(x, y, 0) = x < 16 ? 30 : 120;
                f.rgba.at(x, y, 1) = x < 16 ? 200 : 90;
                f.rgba.at(x, y, 2) = x < 16 ? 40 : 100;
            }
        io::write_image(dir / "in.png", f);
    }
    r = test::run_cli("process -q -i " + (dir / "in.png").string() + " -o " + (dir / "out.png").string() + " --settings " +
                      file.string() + " --watch");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(io::read_image(dir / "out.png").rgba.at(2, 2, 3), 0);  // keyed with the file's settings
    r = test::run_cli("process -q -i in.mp4 -o out.webm --watch");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--watch needs --settings"), std::string::npos) << r.err;
}

TEST(FramePatterns, OnlyAConversionInTheFileNameMakesASequence) {
    EXPECT_TRUE(io::is_frame_pattern("out/frame_%04d.png"));
    EXPECT_TRUE(io::is_frame_pattern("frame_%d.png"));
    EXPECT_FALSE(io::is_frame_pattern("out/50%_mix.png"));
    EXPECT_FALSE(io::is_frame_pattern("100%/clip.mp4"));  // a folder's '%' is not a pattern
    EXPECT_FALSE(io::is_frame_pattern("plain.png"));
    EXPECT_THROW(io::is_frame_pattern("a_%d_%d.png"), Error);
    EXPECT_EQ(io::expand_frame_pattern("x/f_%04d.png", 7), "x/f_0007.png");
    EXPECT_EQ(io::expand_frame_pattern("100%/f_%d.png", 12), "100%/f_12.png");
    EXPECT_EQ(io::expand_frame_pattern("f_%3d.png", 5), "f_  5.png");
    EXPECT_TRUE(io::matches_frame_pattern("dir/f_%04d.png", "f_0012.png"));
    EXPECT_FALSE(io::matches_frame_pattern("dir/f_%04d.png", "f_.png"));
    EXPECT_FALSE(io::matches_frame_pattern("dir/f_%04d.png", "f_00a2.png"));
    const auto r = io::parse_frame_range("3-");
    EXPECT_EQ(r.first, 3);
    EXPECT_EQ(r.last, -1);
    EXPECT_THROW(io::parse_frame_range("5-2"), Error);
}
