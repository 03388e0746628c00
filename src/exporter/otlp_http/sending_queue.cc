#include "exporter/otlp_http/sending_queue.h"

#include <utility>

namespace astrolabe::exporter::otlp_http {

SendingQueue::SendingQueue(SendingQueueOptions options) : options_(options) {}

SendingQueue::~SendingQueue() {
  Close();
  (void)Stop();
}

void SendingQueue::Start(Handler handler) {
  handler_ = std::move(handler);
  workers_.reserve(static_cast<size_t>(options_.num_consumers));
  for (int i = 0; i < options_.num_consumers; ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

Status SendingQueue::Offer(ExportRequest request) {
  // Encoding can take a while: not under the lock the workers need.
  std::string encoded;
  if (options_.store != nullptr) encoded = options_.store->Encode(request);
  std::unique_lock<std::mutex> lock(mu_);
  if (options_.block_on_overflow) {
    not_full_.wait(lock, [&] { return closed_ || items_.size() < options_.capacity; });
  }
  if (closed_) return Unavailable("sending queue is closed");
  if (items_.size() >= options_.capacity) return ResourceExhausted("sending queue is full");
  if (options_.store != nullptr) {
    if (Status s = options_.store->Add(request, encoded); !s.ok()) {
      return Unavailable(s.Annotate("storing the request in the sending queue").message());
    }
  }
  items_.push_back(std::move(request));
  not_empty_.notify_one();
  return Status::Ok();
}

void SendingQueue::Restore(std::vector<ExportRequest> requests) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = requests.rbegin(); it != requests.rend(); ++it) {
    items_.push_front(std::move(*it));
  }
}

void SendingQueue::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  not_full_.notify_all();
}

bool SendingQueue::WaitIdle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  // Without workers nothing drains: idle only if already empty.
  if (workers_.empty()) return items_.empty() && busy_ == 0;
  return idle_.wait_until(lock, deadline, [&] { return items_.empty() && busy_ == 0; });
}

void SendingQueue::StopTaking() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  not_empty_.notify_all();
}

bool SendingQueue::WaitHandlers(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_.wait_until(lock, deadline, [&] { return busy_ == 0; });
}

std::vector<ExportRequest> SendingQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ExportRequest> left;
  left.reserve(items_.size());
  for (ExportRequest& r : items_) left.push_back(std::move(r));
  items_.clear();
  return left;
}

size_t SendingQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.size();
}

void SendingQueue::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    not_empty_.wait(lock, [&] { return stopping_ || !items_.empty(); });
    if (stopping_) return;
    ExportRequest request = std::move(items_.front());
    items_.pop_front();
    ++busy_;
    not_full_.notify_one();
    lock.unlock();
    const bool finished = handler_(request);
    if (finished && request.stored && options_.store != nullptr) options_.store->Remove(request);
    lock.lock();
    --busy_;
    if (busy_ == 0) idle_.notify_all();  // WaitIdle and WaitHandlers check their own terms
  }
}

}  // namespace astrolabe::exporter::otlp_http
