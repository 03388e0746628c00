#include "exporter/debug/config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "exporter/debug/factory.h"

namespace astrolabe::exporter::debug {
namespace {

// A Visitor over one flat YAML map, enough for this config's scalar and list keys. The
// real decoder lives in src/config; these tests depend only on the Visitor contract.
class FlatYamlVisitor : public config::Visitor {
 public:
  explicit FlatYamlVisitor(YAML::Node map) : map_(std::move(map)) {}

  void Field(std::string_view key, std::string& value, config::FieldOptions) override {
    if (auto n = Get(key)) value = n.as<std::string>();
  }
  void Field(std::string_view key, bool& value) override {
    if (auto n = Get(key)) value = n.as<bool>();
  }
  void Field(std::string_view key, int64_t& value) override {
    if (auto n = Get(key)) value = n.as<int64_t>();
  }
  void Field(std::string_view key, double& value) override {
    if (auto n = Get(key)) value = n.as<double>();
  }
  void Field(std::string_view key, Duration&) override { Get(key); }
  void Field(std::string_view key, std::vector<std::string>& value) override {
    if (auto n = Get(key)) value = n.as<std::vector<std::string>>();
  }
  void Field(std::string_view key, std::map<std::string, std::string>& value,
             config::FieldOptions) override {
    if (auto n = Get(key)) value = n.as<std::map<std::string, std::string>>();
  }
  void ByteSize(std::string_view key, uint64_t&) override { Get(key); }
  const config::Node* Raw(std::string_view key, config::Node*) override {
    Get(key);
    return nullptr;
  }
  bool decoding() const override { return true; }
  void Error(std::string_view key, std::string message) override {
    errors_.push_back(std::string(key) + ": " + message);
  }

  // Keys present in the map that Visit never asked for, as upstream words it.
  std::vector<std::string> Errors() const {
    std::vector<std::string> out = errors_;
    for (const auto& kv : map_) {
      std::string key = kv.first.as<std::string>();
      if (!seen_.count(key)) out.push_back("has invalid keys: " + key);
    }
    return out;
  }

 protected:
  // This config has no nested objects or lists of structs.
  bool EnterObject(std::string_view key) override {
    Get(key);
    return false;
  }
  void LeaveObject() override {}
  bool EnterList(std::string_view key, size_t&) override {
    Get(key);
    return false;
  }
  void EnterItem(size_t) override {}
  void LeaveItem() override {}
  void LeaveList() override {}

 private:
  YAML::Node Get(std::string_view key) {
    seen_.insert(std::string(key));
    return map_[std::string(key)];
  }

  YAML::Node map_;
  std::set<std::string> seen_;
  std::vector<std::string> errors_;
};

// Records what an encoder would print.
class RecordingEncoder : public FlatYamlVisitor {
 public:
  RecordingEncoder() : FlatYamlVisitor(YAML::Node(YAML::NodeType::Map)) {}
  void Field(std::string_view key, std::string& value, config::FieldOptions) override {
    strings[std::string(key)] = value;
  }
  using FlatYamlVisitor::Field;
  bool decoding() const override { return false; }
  std::map<std::string, std::string> strings;
};

std::vector<std::string> Decode(Config& cfg, const std::string& yaml) {
  FlatYamlVisitor v(YAML::Load(yaml));
  cfg.Visit(v);
  return v.Errors();
}

TEST(ConfigTest, DefaultsAreUpstreams) {
  auto cfg = NewFactory()->CreateDefaultConfig();
  const auto& c = dynamic_cast<const Config&>(*cfg);
  EXPECT_EQ(c.verbosity, Verbosity::kBasic);
  EXPECT_EQ(c.sampling_initial, 2);
  EXPECT_EQ(c.sampling_thereafter, 1);
  EXPECT_TRUE(c.use_internal_logger);
  EXPECT_TRUE(c.output_paths.empty());
  EXPECT_TRUE(c.Validate().ok());
}

TEST(ConfigTest, FullFile) {
  Config cfg;
  FlatYamlVisitor v(YAML::LoadFile("testdata/config_full.yaml"));
  cfg.Visit(v);
  EXPECT_TRUE(v.Errors().empty());
  EXPECT_EQ(cfg.verbosity, Verbosity::kDetailed);
  EXPECT_EQ(cfg.sampling_initial, 10);
  EXPECT_EQ(cfg.sampling_thereafter, 50);
  EXPECT_FALSE(cfg.use_internal_logger);
  EXPECT_EQ(cfg.output_paths, std::vector<std::string>{"stderr"});
  EXPECT_TRUE(cfg.Validate().ok());
}

TEST(ConfigTest, TypoFileHasUnknownKey) {
  Config cfg;
  FlatYamlVisitor v(YAML::LoadFile("testdata/config_typo.yaml"));
  cfg.Visit(v);
  EXPECT_EQ(v.Errors(), std::vector<std::string>{"has invalid keys: verBosity"});
  EXPECT_EQ(cfg.verbosity, Verbosity::kBasic);
}

TEST(ConfigTest, VerbosityIsCaseInsensitive) {
  for (const auto& [text, want] :
       std::vector<std::pair<std::string, Verbosity>>{{"basic", Verbosity::kBasic},
                                                      {"Normal", Verbosity::kNormal},
                                                      {"DETAILED", Verbosity::kDetailed}}) {
    Config cfg;
    EXPECT_TRUE(Decode(cfg, "verbosity: " + text).empty()) << text;
    EXPECT_EQ(cfg.verbosity, want) << text;
  }
}

TEST(ConfigTest, UnknownVerbosityIsADecodeError) {
  Config cfg;
  EXPECT_EQ(Decode(cfg, "verbosity: Loud"),
            std::vector<std::string>{"verbosity: unknown metrics level \"loud\""});
  EXPECT_EQ(cfg.verbosity, Verbosity::kBasic);
}

TEST(ConfigTest, NoneDecodesButDoesNotValidate) {
  Config cfg;
  EXPECT_TRUE(Decode(cfg, "verbosity: none").empty());
  EXPECT_EQ(cfg.verbosity, Verbosity::kNone);
  Status s = cfg.Validate();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "verbosity level \"None\" is not supported");
}

TEST(ConfigTest, OutputPathsNeedTheCustomLogger) {
  Config cfg;
  cfg.output_paths = {"stderr"};
  EXPECT_EQ(cfg.Validate().message(),
            "output_paths is not supported when use_internal_logger is true");
  cfg.use_internal_logger = false;
  EXPECT_TRUE(cfg.Validate().ok());
}

TEST(ConfigTest, EncodesVerbosityAsText) {
  Config cfg;
  cfg.verbosity = Verbosity::kNormal;
  RecordingEncoder e;
  cfg.Visit(e);
  EXPECT_EQ(e.strings["verbosity"], "normal");
  EXPECT_EQ(cfg.verbosity, Verbosity::kNormal);
}

TEST(ConfigTest, ParseAndNameVerbosity) {
  EXPECT_EQ(ParseVerbosity("detailed"), Verbosity::kDetailed);
  EXPECT_EQ(ParseVerbosity("debug"), std::nullopt);
  EXPECT_EQ(VerbosityName(Verbosity::kNormal), "normal");
}

}  // namespace
}  // namespace astrolabe::exporter::debug
