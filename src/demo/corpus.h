#pragma once
// The demo's small built-in corpus: a few dozen support, coding and summarisation
// conversations whose prompts and answers the traffic generator (traffic.h) records in its
// GenAI spans and message logs. No model is involved: the simulators decide how many tokens an
// answer has and how it ends; the text comes from here (see docs/demo.md).
//
// Thread-safe: the corpus is immutable static data.

#include <span>
#include <string_view>

namespace astrolabe::demo {

enum class Topic { kSupport, kCoding, kSummarisation };

// "support" | "coding" | "summarisation".
std::string_view TopicName(Topic topic);

struct Conversation {
  Topic topic;
  std::string_view workflow;  // the app's workflow name: "answer_ticket", "review_diff", ...
  std::string_view system;    // the system prompt
  // An earlier turn (both empty for a single-turn conversation).
  std::string_view earlier_user, earlier_answer;
  std::string_view user;    // the question of this call
  std::string_view answer;  // what the assistant answers
};

// Every conversation, in a fixed order. At least 8 of each topic.
std::span<const Conversation> Corpus();

}  // namespace astrolabe::demo
