#include "demo/corpus.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace astrolabe::demo {
namespace {

TEST(Corpus, HasAFewDozenConversationsOfEveryTopic) {
  std::map<Topic, int> per_topic;
  std::set<std::string_view> questions;
  for (const Conversation& c : Corpus()) {
    ++per_topic[c.topic];
    EXPECT_FALSE(c.workflow.empty());
    EXPECT_FALSE(c.system.empty());
    EXPECT_FALSE(c.user.empty());
    EXPECT_FALSE(c.answer.empty()) << c.user;
    // An earlier turn has both halves or neither.
    EXPECT_EQ(c.earlier_user.empty(), c.earlier_answer.empty()) << c.user;
    EXPECT_TRUE(questions.insert(c.user).second) << "duplicate question: " << c.user;
  }
  EXPECT_GE(Corpus().size(), 24u);
  EXPECT_GE(per_topic[Topic::kSupport], 8);
  EXPECT_GE(per_topic[Topic::kCoding], 8);
  EXPECT_GE(per_topic[Topic::kSummarisation], 8);
  EXPECT_EQ(TopicName(Topic::kCoding), "coding");
}

}  // namespace
}  // namespace astrolabe::demo
