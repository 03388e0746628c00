// Blocks on the NIM/Kong fleet (genai_series.h) or the node-exporter fleet (node_series.h):
// 24 h scraped into a head that is cut into 2 h blocks and truncated as Db does, then the 2 h
// blocks merged into one; prints bytes per sample on disk (2 h blocks and merged, index and
// chunks apart), head RAM per active series after truncation, and Select latency over the
// merged block. A plain program (bench/README.md, "tsdb blocks"):
//   block_bench nim|node [hours=24] [dir=/tmp] [heap]
// Completed head chunks go to <dir>/.../chunks_head (mmapped files, as Db does) unless the
// fourth argument is "heap".
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "genai_series.h"
#include "node_series.h"
#include "storage/merge.h"
#include "tsdb/block.h"
#include "tsdb/head.h"

using namespace astrolabe;
namespace fs = std::filesystem;

namespace {

double Seconds(std::chrono::steady_clock::time_point a) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

uint64_t FileBytes(const std::string& path) {
  std::error_code ec;
  return fs::file_size(path, ec);
}

// A field of /proc/self/status in kB (RssAnon, RssFile, ...).
long StatusKb(const char* field) {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long v = -1;
  const size_t n = std::strlen(field);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, field, n) == 0 && line[n] == ':') v = std::atol(line + n + 1);
  }
  std::fclose(f);
  return v;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string shape = argc > 1 ? argv[1] : "nim";
  const int hours = argc > 2 ? std::atoi(argv[2]) : 24;
  const std::string base = (argc > 3 ? std::string(argv[3]) : std::string("/tmp")) +
                           "/astrolabe-block-bench-" + std::to_string(getpid());
  fs::create_directories(base);
  std::function<void(std::vector<storage::Sample>&)> step;
  std::vector<storage::Labels> labels;
  int64_t interval = 0;
  std::unique_ptr<bench::GenAiFleet> nim;
  std::unique_ptr<bench::NodeFleet> node;
  if (shape == "node") {
    node = std::make_unique<bench::NodeFleet>(bench::NodeOptions{});
    labels = node->series();
    interval = 15000;
    step = [&](std::vector<storage::Sample>& out) { node->Step(out); };
  } else {
    nim = std::make_unique<bench::GenAiFleet>(bench::GenAiOptions{});
    labels = nim->series();
    interval = 10000;
    step = [&](std::vector<storage::Sample>& out) { nim->Step(out); };
  }
  const size_t n = labels.size();
  malloc_trim(0);
  const size_t heap0 = mallinfo2().uordblks;
  tsdb::HeadOptions hopts;  // 2 h chunk ranges: the block range
  const bool heap_chunks = argc > 4 && std::string(argv[4]) == "heap";
  if (!heap_chunks) hopts.chunk_dir = base + "/chunks_head";
  const int64_t range = hopts.chunk_range_ms;
  auto head = std::make_unique<tsdb::Head>(hopts);
  std::vector<storage::SeriesRef> refs(n);
  std::vector<storage::Sample> out;
  std::vector<tsdb::BlockMeta> blocks;
  uint64_t samples_total = 0;
  double write_s = 0, append_s = 0;
  const int steps = static_cast<int>(int64_t{hours} * 3600 * 1000 / interval);
  auto cut = [&](bool force) {
    while (head->min_time() <= head->max_time() &&
           (head->max_time() - head->min_time() > range + range / 2 || force)) {
      int64_t mint = head->min_time() / range * range, maxt = mint + range;
      auto t0 = std::chrono::steady_clock::now();
      head->SetMinValidTime(maxt);
      auto q = head->NewQuerier();
      auto set = q->Select({}, mint, maxt - 1);
      auto meta = tsdb::WriteBlock(base, **set, mint, maxt, tsdb::BlockMeta{});
      if (!meta.ok()) {
        std::fprintf(stderr, "write: %s\n", meta.status().ToString().c_str());
        std::exit(1);
      }
      q.reset();
      head->Truncate(maxt);
      write_s += Seconds(t0);
      blocks.push_back(*meta);
      if (force && head->min_time() > head->max_time()) break;
      if (force && head->max_time() < maxt) break;
    }
  };
  for (int s = 0; s < steps; ++s) {
    step(out);
    auto t0 = std::chrono::steady_clock::now();
    auto app = head->NewAppender();
    for (size_t i = 0; i < n; ++i) {
      if (s == 0) {
        refs[i] = *app->Append(labels[i], out[i].t, out[i].v);
      } else if (!app->AppendByRef(refs[i], out[i].t, out[i].v).ok()) {
        refs[i] = *app->Append(labels[i], out[i].t, out[i].v);  // removed by truncation
      }
    }
    if (!app->Commit().ok()) return 1;
    append_s += Seconds(t0);
    samples_total += n;
    cut(false);
  }
  malloc_trim(0);
  const size_t heap1 = mallinfo2().uordblks;
  const long rss_anon = StatusKb("RssAnon"), rss_file = StatusKb("RssFile");
  uint64_t chunk_file_bytes = 0;
  if (!heap_chunks) chunk_file_bytes = DirBytes(base + "/chunks_head");
  const auto hs = head->stats();
  uint64_t block_samples = 0, block_bytes = 0, index_bytes = 0;
  for (const auto& b : blocks) {
    block_samples += b.stats.num_samples;
    block_bytes += DirBytes(base + "/" + b.id);
    index_bytes += FileBytes(base + "/" + b.id + "/index");
  }
  std::printf("shape %s: %zu series, %d h, %llu samples appended (%.2f M samples/s appending)\n",
              shape.c_str(), n, hours, static_cast<unsigned long long>(samples_total),
              static_cast<double>(samples_total) / append_s / 1e6);
  std::printf(
      "2h blocks: %zu, %llu samples, %.3f B/sample on disk (index %.3f, chunks+meta %.3f), "
      "written in %.1f s\n",
      blocks.size(), static_cast<unsigned long long>(block_samples),
      static_cast<double>(block_bytes) / static_cast<double>(block_samples),
      static_cast<double>(index_bytes) / static_cast<double>(block_samples),
      static_cast<double>(block_bytes - index_bytes) / static_cast<double>(block_samples), write_s);
  std::printf(
      "head after truncation: %zu series, %.0f B heap per active series (holds %.1f h of "
      "samples)\n",
      hs.num_series, static_cast<double>(heap1 - heap0) / static_cast<double>(hs.num_series),
      static_cast<double>(hs.max_time - hs.min_time) / 3.6e6);
  std::printf(
      "head chunks %s; process RssAnon %.1f MiB, RssFile %.1f MiB (mapped file pages); "
      "chunks_head files %.1f MiB (%.0f B per series)\n",
      heap_chunks ? "on the heap" : "in mmapped files", static_cast<double>(rss_anon) / 1024,
      static_cast<double>(rss_file) / 1024, static_cast<double>(chunk_file_bytes) / 1048576.0,
      static_cast<double>(chunk_file_bytes) / static_cast<double>(hs.num_series));

  // Merge every 2 h block into one, as level compaction does.
  std::vector<std::shared_ptr<tsdb::Block>> opened;
  std::vector<std::unique_ptr<storage::Querier>> qs;
  std::vector<std::unique_ptr<storage::SeriesSet>> sets;
  int64_t mint = blocks.front().min_time, maxt = blocks.back().max_time;
  tsdb::BlockMeta merged_meta;
  merged_meta.level = 2;
  for (const auto& b : blocks) {
    opened.push_back(*tsdb::Block::Open(base + "/" + b.id));
    qs.push_back(opened.back()->NewQuerier());
    auto selected = qs.back()->Select({}, mint, maxt - 1);
    sets.push_back(std::move(*selected));
    merged_meta.parents.push_back(b.id);
    merged_meta.sources.push_back(b.id);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto merged_set = storage::NewMergeSeriesSet(std::move(sets));
  auto merged = tsdb::WriteBlock(base, *merged_set, mint, maxt, merged_meta);
  if (!merged.ok()) return 1;
  double merge_s = Seconds(t0);
  const std::string mdir = base + "/" + merged->id;
  uint64_t mbytes = DirBytes(mdir), mindex = FileBytes(mdir + "/index");
  std::printf(
      "merged %lld h block: %llu samples, %.3f B/sample on disk (index %.3f, chunks+meta "
      "%.3f), merged in %.1f s\n",
      static_cast<long long>((maxt - mint) / 3600000),
      static_cast<unsigned long long>(merged->stats.num_samples),
      static_cast<double>(mbytes) / static_cast<double>(merged->stats.num_samples),
      static_cast<double>(mindex) / static_cast<double>(merged->stats.num_samples),
      static_cast<double>(mbytes - mindex) / static_cast<double>(merged->stats.num_samples),
      merge_s);

  // Select latency over the merged block.
  auto block = *tsdb::Block::Open(mdir);
  const storage::Labels& one = labels[n / 2];
  std::vector<storage::Matcher> exact, metric;
  for (storage::Label l : one) {
    exact.push_back(storage::Matcher::MustMake(storage::MatchType::kEqual, std::string(l.name),
                                               std::string(l.value)));
  }
  metric.push_back(storage::Matcher::MustMake(storage::MatchType::kEqual, "__name__",
                                              std::string(one.MetricName())));
  struct Case {
    const char* what;
    std::vector<storage::Matcher>* m;
    int64_t from;
  } cases[] = {{"one series, whole block", &exact, mint},
               {"one metric (all its series), whole block", &metric, mint},
               {"one metric, last 1 h", &metric, maxt - 3600000}};
  for (const Case& c : cases) {
    std::vector<double> times;
    size_t series = 0, got = 0;
    for (int i = 0; i < 15; ++i) {
      auto t = std::chrono::steady_clock::now();
      auto q = block->NewQuerier();
      auto set = q->Select(*c.m, c.from, maxt);
      auto all = storage::Materialize(**set);
      times.push_back(Seconds(t));
      series = all->size();
      got = 0;
      for (auto& s : *all) got += s.samples.size();
    }
    std::sort(times.begin(), times.end());
    std::printf("select %s: %zu series, %zu samples, median %.3f ms (%.1f M samples/s)\n", c.what,
                series, got, times[times.size() / 2] * 1e3,
                static_cast<double>(got) / times[times.size() / 2] / 1e6);
  }
  fs::remove_all(base);
  return 0;
}
