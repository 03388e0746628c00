#pragma once
// Config of the genai processor (README.md):
//
//   processors:
//     genai:
//       dialects: [otel, openllmetry, openinference]  # which attribute sets to read
//       keep_original_attributes: true  # false: drop legacy keys once mapped
//       max_message_bytes: 1MiB          # longest gen_ai.{input,output}.messages written
//       default_prices: true             # use the built-in price table (docs/genai-cost.md)
//       prices_file: /etc/astrolabe/prices.yaml   # a `prices:` file; wins over the defaults
//       prices:                          # inline entries; win over the file and the defaults
//         - {model: meta/llama-3.1-8b-instruct, input: 0.05, output: 0.05}

#include <cstdint>
#include <string>
#include <vector>

#include "component/factory.h"
#include "genai/prices.h"

namespace astrolabe::processor::genai {

struct Config : component::ComponentConfig {
  std::vector<std::string> dialects = {"otel", "openllmetry", "openinference"};
  bool keep_original_attributes = true;
  uint64_t max_message_bytes = 1 << 20;
  bool default_prices = true;
  std::string prices_file;
  std::vector<astrolabe::genai::PriceEntry> prices;

  void Visit(config::Visitor& v) override;
  // `unknown dialect "x" (valid: otel, openllmetry, openinference)`,
  // `max_message_bytes must be at least 1KiB`, `prices[2]: model m: input must be ...`,
  // and the price file's own errors (`prices_file: <path>:3:5: ...`).
  Status Validate() const override;
};

}  // namespace astrolabe::processor::genai
