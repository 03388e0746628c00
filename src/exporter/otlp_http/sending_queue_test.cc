#include "exporter/otlp_http/sending_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace astrolabe::exporter::otlp_http {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

ExportRequest Req(size_t items) {
  ExportRequest r;
  r.items = items;
  return r;
}

// A gate that holds handlers until opened.
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(SendingQueue, HandlesEveryRequestOnWorkers) {
  SendingQueue q({.capacity = 100, .num_consumers = 3, .block_on_overflow = false});
  std::atomic<size_t> items{0};
  q.Start([&](ExportRequest& r) {
    items += r.items;
    return true;
  });
  for (size_t i = 1; i <= 50; ++i) ASSERT_TRUE(q.Offer(Req(i)).ok());
  EXPECT_TRUE(q.WaitIdle(Steady::now() + std::chrono::seconds(10)));
  EXPECT_EQ(items.load(), 50u * 51u / 2u);
  EXPECT_TRUE(q.Stop().empty());
}

TEST(SendingQueue, FullQueueRefusesWithResourceExhausted) {
  SendingQueue q({.capacity = 2, .num_consumers = 1, .block_on_overflow = false});
  Gate gate;
  std::atomic<int> running{0};
  q.Start([&](ExportRequest&) {
    ++running;
    gate.Wait();
    return true;
  });
  ASSERT_TRUE(q.Offer(Req(1)).ok());
  while (running.load() == 0) std::this_thread::sleep_for(milliseconds(1));
  // The worker holds one; two more fill the queue.
  ASSERT_TRUE(q.Offer(Req(2)).ok());
  ASSERT_TRUE(q.Offer(Req(3)).ok());
  EXPECT_EQ(q.size(), 2u);
  Status s = q.Offer(Req(4));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "sending queue is full");
  EXPECT_TRUE(s.IsRetryable());
  gate.Open();
  EXPECT_TRUE(q.WaitIdle(Steady::now() + std::chrono::seconds(10)));
}

TEST(SendingQueue, BlockingOfferWaitsForRoom) {
  SendingQueue q({.capacity = 1, .num_consumers = 1, .block_on_overflow = true});
  Gate gate;
  std::atomic<int> handled{0};
  q.Start([&](ExportRequest&) {
    gate.Wait();
    ++handled;
    return true;
  });
  ASSERT_TRUE(q.Offer(Req(1)).ok());
  while (q.size() != 0) std::this_thread::sleep_for(milliseconds(1));
  ASSERT_TRUE(q.Offer(Req(2)).ok());  // fills the queue
  auto blocked = std::async(std::launch::async, [&] { return q.Offer(Req(3)); });
  EXPECT_EQ(blocked.wait_for(milliseconds(100)), std::future_status::timeout);
  gate.Open();
  EXPECT_TRUE(blocked.get().ok());
  EXPECT_TRUE(q.WaitIdle(Steady::now() + std::chrono::seconds(10)));
  EXPECT_EQ(handled.load(), 3);
}

TEST(SendingQueue, CloseWakesBlockedOffersAndRefusesNewOnes) {
  SendingQueue q({.capacity = 1, .num_consumers = 1, .block_on_overflow = true});
  // Not started: nothing drains, so the second Offer blocks until Close.
  ASSERT_TRUE(q.Offer(Req(1)).ok());
  auto blocked = std::async(std::launch::async, [&] { return q.Offer(Req(2)); });
  EXPECT_EQ(blocked.wait_for(milliseconds(50)), std::future_status::timeout);
  q.Close();
  EXPECT_EQ(blocked.get().code(), StatusCode::kUnavailable);
  EXPECT_EQ(q.Offer(Req(3)).code(), StatusCode::kUnavailable);
  std::vector<ExportRequest> left = q.Stop();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].items, 1u);
}

TEST(SendingQueue, CloseKeepsDrainingAndStopReturnsTheRest) {
  SendingQueue q({.capacity = 10, .num_consumers = 1, .block_on_overflow = false});
  Gate gate;
  std::atomic<int> handled{0};
  q.Start([&](ExportRequest&) {
    gate.Wait();
    ++handled;
    return true;
  });
  for (size_t i = 1; i <= 4; ++i) ASSERT_TRUE(q.Offer(Req(i)).ok());
  q.Close();
  EXPECT_FALSE(q.WaitIdle(Steady::now() + milliseconds(50)));  // held by the gate
  gate.Open();
  EXPECT_TRUE(q.WaitIdle(Steady::now() + std::chrono::seconds(10)));
  EXPECT_EQ(handled.load(), 4);
  EXPECT_TRUE(q.Stop().empty());
}

TEST(SendingQueue, StopReturnsUnhandledOldestFirst) {
  SendingQueue q({.capacity = 10, .num_consumers = 1, .block_on_overflow = false});
  Gate gate;
  std::atomic<int> running{0};
  q.Start([&](ExportRequest&) {
    ++running;
    gate.Wait();
    return true;
  });
  for (size_t i = 1; i <= 4; ++i) ASSERT_TRUE(q.Offer(Req(i)).ok());
  while (running.load() == 0) std::this_thread::sleep_for(milliseconds(1));
  q.Close();
  auto stopped = std::async(std::launch::async, [&] { return q.Stop(); });
  std::this_thread::sleep_for(milliseconds(20));
  gate.Open();  // Stop waits for the running handler
  std::vector<ExportRequest> left = stopped.get();
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0].items, 2u);
  EXPECT_EQ(left[2].items, 4u);
}

}  // namespace
}  // namespace astrolabe::exporter::otlp_http
