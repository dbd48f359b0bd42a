#include <gtest/gtest.h>

#include "keyswap/core/params.hpp"

using namespace keyswap;

namespace {
enum class Mode { Auto, Manual };
constexpr std::array<const char*, 2> kModeNames{"auto", "manual"};
struct Demo {
    double softness = 0.5;
    int radius = 3;
    bool on = false;
    Mode mode = Mode::Auto;
    std::string color = "#00ff00";
};
const ParamTable<Demo>& table() {
    static const ParamTable<Demo> t("demo", {
        {"softness", "Softness", "Edge softness.", &Demo::softness, ParamType::Float, 0, 1},
        {"radius", "Radius", "Radius in pixels.", &Demo::radius, ParamType::Int, 0, 20, "px"},
        {"on", "On", "Switch.", &Demo::on, ParamType::Bool},
        {"mode", "Mode", "Mode.", choice(&Demo::mode, kModeNames), ParamType::Choice, 0, 0, "", true},
        {"color", "Colour", "Colour.", &Demo::color, ParamType::Color},
    });
    return t;
}
}  // namespace

TEST(Params, SetsEveryTypeFromText) {
    Demo d;
    table().set(d, "softness", "0.25");
    table().set(d, "radius", "7");
    table().set(d, "on", "yes");
    table().set(d, "mode", "manual");
    table().set(d, "color", "#0000FF");
    EXPECT_DOUBLE_EQ(d.softness, 0.25);
    EXPECT_EQ(d.radius, 7);
    EXPECT_TRUE(d.on);
    EXPECT_EQ(d.mode, Mode::Manual);
    EXPECT_EQ(d.color, "#0000FF");
}

TEST(Params, RejectsOutOfRangeAndUnknownWithTheKeyInTheMessage) {
    Demo d;
    try {
        table().set(d, "radius", "99");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
        EXPECT_NE(std::string(e.what()).find("--radius"), std::string::npos);
    }
    EXPECT_THROW(table().set(d, "radius", "2.5"), Error);
    EXPECT_THROW(table().set(d, "mode", "other"), Error);
    EXPECT_THROW(table().set(d, "color", "nope"), Error);
    EXPECT_THROW(table().set(d, "missing", "1"), Error);
    EXPECT_EQ(d.radius, 3);  // a rejected value leaves the setting alone
}

TEST(Params, PresetRoundTripAndSchemaDefaults) {
    Demo d;
    d.softness = 0.75;
    d.mode = Mode::Manual;
    Demo e;
    table().apply(e, table().values(d));
    EXPECT_DOUBLE_EQ(e.softness, 0.75);
    EXPECT_EQ(e.mode, Mode::Manual);
    auto schema = table().schema();
    ASSERT_EQ(schema["params"].size(), 5u);
    EXPECT_EQ(schema["params"][1]["default"], 3);
    EXPECT_EQ(schema["params"][1]["unit"], "px");
    EXPECT_EQ(schema["params"][3]["choices"].size(), 2u);
}

TEST(Params, ParsesColours) {
    int rgb[3];
    ASSERT_TRUE(parse_color("#10A0ff", rgb));
    EXPECT_EQ(rgb[0], 0x10);
    EXPECT_EQ(rgb[1], 0xA0);
    EXPECT_EQ(rgb[2], 0xFF);
    ASSERT_TRUE(parse_color("green", rgb));
    EXPECT_EQ(rgb[1], 255);
    EXPECT_FALSE(parse_color("#12345", rgb));
}
