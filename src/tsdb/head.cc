#include "tsdb/head.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <map>
#include <unordered_map>

#include "tsdb/mem_series.h"

namespace astrolabe::tsdb {

using storage::Labels;
using storage::Sample;

// Truncated chunks and removed series wait here, tagged with the epoch in which they were
// unlinked, until no reader pinned at that epoch or earlier remains.
struct Head::Reclaimer {
  std::mutex mu;
  uint64_t epoch = 0;                 // GUARDED_BY(mu)
  std::map<uint64_t, uint32_t> pins;  // epoch → live pins; GUARDED_BY(mu)
  struct Garbage {
    uint64_t epoch;
    std::vector<std::unique_ptr<ArenaSegment>> chunk_blocks;  // ChunkArena segments
    std::vector<std::unique_ptr<MemSeries>> series;
  };
  std::vector<Garbage> garbage;  // GUARDED_BY(mu)

  // Moves what may be freed into *out (freed by the caller outside the lock).
  void CollectLocked(std::vector<Garbage>* out) {
    uint64_t oldest_pin = pins.empty() ? UINT64_MAX : pins.begin()->first;
    for (auto it = garbage.begin(); it != garbage.end();) {
      if (it->epoch < oldest_pin) {
        out->push_back(std::move(*it));
        it = garbage.erase(it);
      } else {
        ++it;
      }
    }
  }
};

// Replay only: chunks loaded from the chunk files, by series ref until a series record claims
// them, and per series that got some a cursor that recognises the WAL samples they hold.
struct Head::LoadedChunks {
  struct Loaded {
    CompletedChunk chunk;
    int64_t prev_max_t;  // the series' chunk before it when it was cut (kMinTime: none)
  };
  std::unordered_map<uint64_t, std::vector<Loaded>> by_ref;
  struct Cursor {
    int64_t max_t = storage::kMinTime;  // newest loaded sample of the series
    size_t next = 0;                    // index of the chunk the iterator reads (or will)
    ChunkIterator it;
    bool open = false;
  };
  std::unordered_map<MemSeries*, Cursor> cursors;
};

namespace {

// A flat map uint64 → MemSeries*: open addressing, linear probing, backward-shift deletion,
// at most 3/4 full. One probe touches one 16-byte slot, where std::unordered_map chased a
// bucket pointer and a node per lookup (21 % of remote-write ingest was that chase).
class SeriesMap {
 public:
  MemSeries* Find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value == nullptr) return nullptr;
      if (s.key == key) return s.value;
    }
  }
  // The value stored for `key`, to replace in place; nullptr when absent.
  MemSeries** FindSlot(uint64_t key) {
    if (slots_.empty()) return nullptr;
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.value == nullptr) return nullptr;
      if (s.key == key) return &s.value;
    }
  }
  // REQUIRES: `key` absent, value non-null.
  void Insert(uint64_t key, MemSeries* value) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    size_t i = Home(key);
    while (slots_[i].value != nullptr) i = (i + 1) & mask_;
    slots_[i] = Slot{key, value};
    ++size_;
  }
  // Removes `key`; returns its value (nullptr when absent).
  MemSeries* Erase(uint64_t key) {
    if (slots_.empty()) return nullptr;
    size_t i = Home(key);
    while (slots_[i].value != nullptr && slots_[i].key != key) i = (i + 1) & mask_;
    MemSeries* value = slots_[i].value;
    if (value == nullptr) return nullptr;
    // Backward shift: move later entries of the probe run into the hole when their home
    // position allows it, so lookups never need tombstones.
    size_t hole = i;
    for (size_t j = (i + 1) & mask_; slots_[j].value != nullptr; j = (j + 1) & mask_) {
      size_t home = Home(slots_[j].key);
      // Entry j may move to `hole` when hole lies cyclically in [home, j).
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
    return value;
  }
  template <typename F>
  void ForEach(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.value != nullptr) f(s.value);
    }
  }

 private:
  struct Slot {
    uint64_t key = 0;
    MemSeries* value = nullptr;
  };
  // Keys of one stripe share their low bits (the stripe index): mix before masking.
  size_t Home(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 32) & mask_;
  }
  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 8 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.value != nullptr) Insert(s.key, s.value);
    }
  }
  std::vector<Slot> slots_;  // size a power of two
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace

struct Head::Stripe {
  std::mutex mu;
  SeriesMap by_hash;  // label hash → head of the collision chain (MemSeries::hash_next)
  SeriesMap by_ref;   // ref → series; owns it (deleted by ~Stripe or handed to the reclaimer)
  ~Stripe() {
    by_ref.ForEach([](MemSeries* s) { delete s; });
  }
};

namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// End (exclusive) of the chunk range holding t.
int64_t RangeEnd(int64_t t, int64_t range) {
  int64_t start = FloorDiv(t, range) * range;
  return start > storage::kMaxTime - range ? storage::kMaxTime : start + range;
}

// True when t is more than `window` behind the head's newest time (overflow-safe).
bool BeyondWindow(int64_t t, int64_t head_max, int64_t window) {
  if (head_max == storage::kMinTime || t >= head_max) return false;
  return static_cast<uint64_t>(head_max) - static_cast<uint64_t>(t) > static_cast<uint64_t>(window);
}

bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

// Looks t up among the in-order samples of s. REQUIRES: s.mu held.
bool FindInOrder(const MemSeries& s, int64_t t, double* v) {
  auto probe = [&](const uint8_t* data, size_t size, int64_t min_t) {
    ChunkIterator it(data, size, min_t);
    if (it.Seek(t) && it.t() == t) {
      *v = it.v();
      return true;
    }
    return false;
  };
  // Chunks are in time order: binary search the one whose range may hold t.
  auto c = std::lower_bound(s.chunks.begin(), s.chunks.end(), t,
                            [](const CompletedChunk& ch, int64_t x) { return ch.max_t() < x; });
  if (c != s.chunks.end() && c->min_t <= t) return probe(c->data, c->size, c->min_t);
  if (s.head.count() > 0 && s.head.first_t() <= t && t <= s.head.last_t()) {
    return probe(s.head.data(), s.head.size(), s.head.first_t());
  }
  return false;
}

const Sample* FindOoo(const MemSeries& s, int64_t t) {
  if (!s.ooo) return nullptr;
  auto it = std::lower_bound(s.ooo->begin(), s.ooo->end(), t,
                             [](const Sample& a, int64_t x) { return a.t < x; });
  return it != s.ooo->end() && it->t == t ? &*it : nullptr;
}

}  // namespace

Head::Head(HeadOptions options)
    : options_(options),
      commit_log_(options.commit_log),
      stripes_(std::make_unique<Stripe[]>(kStripes)),
      chunk_arena_(std::make_unique<ChunkArena>(options.chunk_dir)),
      reclaimer_(std::make_unique<Reclaimer>()) {}

Head::~Head() = default;

// ---- series lookup and creation ---------------------------------------------------------------

MemSeries* Head::GetByRef(uint64_t ref) const {
  Stripe& st = stripes_[ref & (kStripes - 1)];
  std::lock_guard lock(st.mu);
  return st.by_ref.Find(ref);
}

bool Head::LabelsEqual(const MemSeries& s, const Labels& labels) const {
  if (s.num_syms != labels.size() * 2) return false;
  size_t i = 0;
  for (storage::Label l : labels) {
    if (symbols_.Lookup(s.syms[i]) != l.name || symbols_.Lookup(s.syms[i + 1]) != l.value) {
      return false;
    }
    i += 2;
  }
  return true;
}

Labels Head::LabelsOf(const MemSeries& s) const {
  std::vector<storage::Label> pairs;
  pairs.reserve(s.num_syms / 2);
  for (uint32_t i = 0; i + 1 < s.num_syms; i += 2) {
    pairs.push_back({symbols_.Lookup(s.syms[i]), symbols_.Lookup(s.syms[i + 1])});
  }
  return Labels::FromSorted(pairs);
}

Labels Head::LabelsOf(storage::SeriesRef ref) const {
  MemSeries* s = GetByRef(ref);
  return s ? LabelsOf(*s) : Labels();
}

namespace {
// Only labels that are about to create a series need checking: a set equal to an existing
// series' labels is valid by construction.
Status ValidateLabels(const Labels& labels) {
  if (labels.empty()) return storage::InvalidLabelsError("empty label set");
  {
    std::string_view prev;
    bool first = true;
    for (storage::Label l : labels) {
      if (l.name.empty())
        return storage::InvalidLabelsError("empty label name in " + labels.ToString());
      if (l.value.empty()) {
        return storage::InvalidLabelsError("empty value for label " + std::string(l.name));
      }
      if (!storage::IsValidUtf8(l.name) || !storage::IsValidUtf8(l.value)) {
        return storage::InvalidLabelsError("label " + std::string(l.name) + " is not valid UTF-8");
      }
      if (!first && l.name <= prev) {
        return storage::InvalidLabelsError("duplicate label name " + std::string(l.name) + " in " +
                                           labels.ToString());
      }
      prev = l.name;
      first = false;
    }
  }
  return Status::Ok();
}
}  // namespace

Result<MemSeries*> Head::GetOrCreate(const Labels& labels, bool* created, uint64_t forced_ref) {
  *created = false;
  const uint64_t hash = labels.Hash();
  Stripe& hs = stripes_[hash & (kStripes - 1)];
  std::unique_ptr<MemSeries> owned;
  {
    std::lock_guard lock(hs.mu);
    MemSeries** chain = hs.by_hash.FindSlot(hash);
    if (chain != nullptr) {
      for (MemSeries* s = *chain; s != nullptr; s = s->hash_next) {
        if (LabelsEqual(*s, labels)) return s;
      }
    }
    RETURN_IF_ERROR(ValidateLabels(labels));
    if (options_.max_series != 0 && num_series_.load() >= options_.max_series) {
      return ResourceExhausted("series limit: the head holds " +
                               std::to_string(options_.max_series) +
                               " series (max_series); refusing " + labels.ToString());
    }
    std::vector<uint32_t> pairs;
    pairs.reserve(labels.size() * 2);
    for (storage::Label l : labels) {
      pairs.push_back(symbols_.Intern(l.name));
      pairs.push_back(symbols_.Intern(l.value));
    }
    uint64_t ref = forced_ref;
    if (ref == 0) {
      ref = next_ref_.fetch_add(1);
    } else {
      uint64_t cur = next_ref_.load();
      while (cur <= ref && !next_ref_.compare_exchange_weak(cur, ref + 1)) {
      }
    }
    owned = std::make_unique<MemSeries>(ref, hash, pairs);
    MemSeries* raw = owned.get();
    if (chain != nullptr) {
      raw->hash_next = *chain;
      *chain = raw;
    } else {
      hs.by_hash.Insert(hash, raw);
    }
    num_series_.fetch_add(1);
  }
  MemSeries* raw = owned.get();
  {
    Stripe& rs = stripes_[raw->ref & (kStripes - 1)];
    std::lock_guard lock(rs.mu);
    rs.by_ref.Insert(raw->ref, owned.release());
  }
  postings_.Add(raw->ref, raw->label_syms());
  *created = true;
  return raw;
}

// ---- the append rules ---------------------------------------------------------------------------

Status Head::CheckAppendable(const MemSeries& s, int64_t t, double v, int64_t pending_t,
                             double pending_v, bool* ignore) const {
  *ignore = false;
  int64_t min_valid = min_valid_time_.load(std::memory_order_relaxed);
  if (t < min_valid || t == storage::kMinTime) {
    return storage::OutOfBoundsError(nullptr, t, min_valid);
  }
  if (options_.max_future_ms > 0 || options_.max_age_ms > 0) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    if (options_.max_future_ms > 0 && t > now + options_.max_future_ms) {
      refused_future_.fetch_add(1, std::memory_order_relaxed);
      // "out of bounds" first: AppendErrorKindOf() classifies it as kOutOfBounds.
      return InvalidArgument("out of bounds: too far in the future, newest accepted " +
                             std::to_string(now + options_.max_future_ms) +
                             " (t=" + std::to_string(t) + ")");
    }
    if (options_.max_age_ms > 0) {
      // Retention measures from the newest sample: a head ahead of the clock (within
      // max_future) moves the bound with it.
      const int64_t newest = std::max(now, max_time_.load(std::memory_order_relaxed));
      const int64_t oldest = newest > storage::kMinTime + options_.max_age_ms
                                 ? newest - options_.max_age_ms
                                 : storage::kMinTime;
      if (t < oldest) {
        refused_too_old_.fetch_add(1, std::memory_order_relaxed);
        return InvalidArgument("out of bounds: too old for the retention window of " +
                               std::to_string(options_.max_age_ms) + " ms, oldest accepted " +
                               std::to_string(oldest) + " (t=" + std::to_string(t) + ")");
      }
    }
  }
  int64_t newest = std::max(s.max_t, pending_t);
  if (t > newest) return Status::Ok();
  if (t == newest) {
    double have = pending_t == newest ? pending_v : s.head.last_v();
    if (SameBits(have, v)) {
      *ignore = true;
      return Status::Ok();
    }
    return storage::DuplicateSampleError(nullptr, t, have, v);
  }
  if (options_.out_of_order_window_ms <= 0)
    return storage::OutOfOrderSampleError(nullptr, t, newest);
  int64_t head_max = max_time_.load(std::memory_order_relaxed);
  if (BeyondWindow(t, head_max, options_.out_of_order_window_ms)) {
    return storage::TooOldSampleError(nullptr, t, head_max - options_.out_of_order_window_ms);
  }
  double have;
  const Sample* o = FindOoo(s, t);
  if (o != nullptr || FindInOrder(s, t, &have)) {
    if (o != nullptr) have = o->v;
    if (SameBits(have, v)) {
      *ignore = true;
      return Status::Ok();
    }
    return storage::DuplicateSampleError(nullptr, t, have, v);
  }
  return Status::Ok();
}

bool Head::ApplyLocked(MemSeries& s, int64_t t, double v) {
  if (t < min_valid_time_.load(std::memory_order_relaxed) || t == storage::kMinTime) return false;
  if (t > s.max_t) {
    ChunkAppender& h = s.head;
    if (h.count() > 0 &&
        (h.count() >= options_.samples_per_chunk || h.size() >= options_.max_chunk_bytes ||
         t >= RangeEnd(h.first_t(), options_.chunk_range_ms) || h.count() >= kMaxChunkSamples ||
         static_cast<uint64_t>(t) - static_cast<uint64_t>(h.first_t()) > UINT32_MAX)) {
      CompletedChunk c;
      c.min_t = h.first_t();
      c.span = static_cast<uint32_t>(h.last_t() - h.first_t());
      c.size = static_cast<uint32_t>(h.size());
      c.data = chunk_arena_->Store(s.ref, h.data(), c.size, c.min_t, h.last_t(),
                                   s.chunks.empty() ? storage::kMinTime : s.chunks.back().max_t());
      // Grow by two entries, not by doubling: a series holds ~3-9 completed chunks between
      // truncations, and doubling left up to 7 unused 24-byte entries per series.
      if (s.chunks.size() == s.chunks.capacity()) s.chunks.reserve(s.chunks.size() + 2);
      s.chunks.push_back(c);
      // The next chunk will likely be about as big: reserve that, plus a little.
      h.Reset(std::min<size_t>(s.chunks.back().size + s.chunks.back().size / 8 + 4,
                               options_.max_chunk_bytes + 16));
      chunks_cut_.fetch_add(1, std::memory_order_relaxed);
    }
    h.Append(t, v);
    s.max_t = t;
    samples_appended_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  if (t == s.max_t) return false;  // repeat (same value ignored, other value a duplicate)
  if (options_.out_of_order_window_ms <= 0) return false;
  if (BeyondWindow(t, max_time_.load(std::memory_order_relaxed), options_.out_of_order_window_ms)) {
    return false;
  }
  double have;
  if (FindOoo(s, t) != nullptr || FindInOrder(s, t, &have)) return false;
  if (!s.ooo) s.ooo = std::make_unique<std::vector<Sample>>();
  auto it = std::lower_bound(s.ooo->begin(), s.ooo->end(), t,
                             [](const Sample& a, int64_t x) { return a.t < x; });
  s.ooo->insert(it, Sample{t, v});
  ooo_appended_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void Head::NoteCommitted(int64_t t) {
  int64_t cur = max_time_.load(std::memory_order_relaxed);
  while (t > cur && !max_time_.compare_exchange_weak(cur, t)) {
  }
  cur = min_time_.load(std::memory_order_relaxed);
  while (t < cur && !min_time_.compare_exchange_weak(cur, t)) {
  }
}

// ---- replay -------------------------------------------------------------------------------------

Status Head::ReplaySeries(uint64_t ref, const Labels& labels) {
  if (ref == 0) return InvalidArgument("replaying series record: ref 0 is invalid");
  if (MemSeries* existing = GetByRef(ref)) {
    if (LabelsEqual(*existing, labels)) return Status::Ok();
    return DataLoss("replaying series record: ref " + std::to_string(ref) +
                    " already names another series");
  }
  bool created = false;
  ASSIGN_OR_RETURN(MemSeries * s, GetOrCreate(labels, &created, ref));
  s->logged.store(true);
  if (!created) replay_aliases_[ref] = s;
  if (created && loaded_ != nullptr) AttachLoadedChunks(s);
  return Status::Ok();
}

Result<ArenaLoadStats> Head::LoadChunks() {
  loaded_ = std::make_unique<LoadedChunks>();
  uint64_t max_ref = 0;
  ASSIGN_OR_RETURN(
      ArenaLoadStats st, chunk_arena_->Load(min_valid_time(), [&](const HeadChunkEntry& e) {
        max_ref = std::max(max_ref, e.ref);
        if (static_cast<uint64_t>(e.max_t) - static_cast<uint64_t>(e.min_t) > UINT32_MAX) {
          return;  // longer than any chunk this head cuts: not ours to trust
        }
        loaded_->by_ref[e.ref].push_back(LoadedChunks::Loaded{
            CompletedChunk{e.min_t, e.data, static_cast<uint32_t>(e.max_t - e.min_t), e.size},
            e.prev_max_t});
      }));
  // A series gone from the WAL may still have chunks in a file: never hand its ref out again.
  uint64_t cur = next_ref_.load();
  while (cur <= max_ref && !next_ref_.compare_exchange_weak(cur, max_ref + 1)) {
  }
  return st;
}

void Head::AttachLoadedChunks(MemSeries* s) {
  auto it = loaded_->by_ref.find(s->ref);
  if (it == loaded_->by_ref.end()) return;
  // Accept only an unbroken chain: each chunk must name the one accepted before it as its
  // predecessor. The first may name none, or one older than the minimum valid time (released
  // with a truncated segment). A chunk whose predecessor is missing (a damaged or deleted file)
  // is skipped, and so is everything that would follow it, unless a chunk rebuilt from the WAL
  // by an earlier open continues the chain; the WAL replays what is skipped.
  std::vector<CompletedChunk> chunks;
  for (const LoadedChunks::Loaded& l : it->second) {
    const bool links = chunks.empty()
                           ? l.prev_max_t == storage::kMinTime || l.prev_max_t < min_valid_time()
                           : l.prev_max_t == chunks.back().max_t();
    if (links && (chunks.empty() || l.chunk.min_t > chunks.back().max_t())) {
      chunks.push_back(l.chunk);
    }
  }
  loaded_->by_ref.erase(it);
  if (chunks.empty()) return;
  std::lock_guard lock(s->mu);
  if (!s->chunks.empty() || s->head.count() > 0) return;
  s->chunks = std::move(chunks);
  s->chunks.shrink_to_fit();
  s->max_t = s->chunks.back().max_t();
  NoteCommitted(s->chunks.front().min_t);
  NoteCommitted(s->max_t);
  loaded_->cursors[s].max_t = s->max_t;
}

bool Head::HeldByLoadedChunk(MemSeries* s, int64_t t, double v) {
  auto found = loaded_->cursors.find(s);
  if (found == loaded_->cursors.end()) return false;
  LoadedChunks::Cursor& c = found->second;
  if (t > c.max_t) return false;
  if (c.open && t < c.it.t()) {
    // Behind the cursor (an out-of-order sample in the WAL): look it up directly.
    double have;
    return FindInOrder(*s, t, &have) && SameBits(have, v);
  }
  // In-order WAL samples arrive in time order: the cursor only moves forward.
  while (c.next < s->chunks.size()) {
    const CompletedChunk& ch = s->chunks[c.next];
    if (!c.open) {
      if (ch.max_t() < t) {
        ++c.next;
        continue;
      }
      c.it.Reset(ch.data, ch.size, ch.min_t);
      c.open = true;
    }
    if (c.it.Seek(t)) return c.it.t() == t && SameBits(c.it.v(), v);
    c.open = false;
    ++c.next;
  }
  return false;
}

void Head::FinishReplay() { loaded_.reset(); }

ReplayStats Head::ReplaySamples(std::span<const SampleRecord> samples) {
  ReplayStats st;
  for (const SampleRecord& r : samples) {
    MemSeries* s = GetByRef(r.ref);
    if (s == nullptr) {
      auto a = replay_aliases_.find(r.ref);
      if (a != replay_aliases_.end()) s = a->second;
    }
    if (s == nullptr) {
      ++st.unknown_refs;
      continue;
    }
    std::lock_guard lock(s->mu);
    if (loaded_ != nullptr && !loaded_->cursors.empty() && HeldByLoadedChunk(s, r.t, r.v)) {
      ++st.in_chunks;
      continue;
    }
    if (ApplyLocked(*s, r.t, r.v)) {
      ++st.samples;
      NoteCommitted(r.t);
    } else {
      ++st.rejected;
    }
  }
  return st;
}

void Head::ReplayMetadata(std::string_view family, const storage::MetricMetadata& metadata) {
  std::lock_guard lock(meta_mu_);
  metadata_.insert_or_assign(std::string(family), metadata);
}

// ---- readers ------------------------------------------------------------------------------------

std::vector<storage::SeriesRef> Head::SeriesRefsInLabelOrder() const {
  Postings all = postings_.All();
  std::vector<std::pair<Labels, uint64_t>> v;
  v.reserve(all.size());
  for (uint64_t ref : all) {
    if (MemSeries* s = GetByRef(ref)) v.emplace_back(LabelsOf(*s), ref);
  }
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<storage::SeriesRef> out;
  out.reserve(v.size());
  for (auto& [l, ref] : v) out.push_back(ref);
  return out;
}

bool Head::Snapshot(storage::SeriesRef ref, int64_t mint, int64_t maxt, SeriesSnapshot* out) const {
  MemSeries* s = GetByRef(ref);
  if (s == nullptr) return false;
  out->ref = ref;
  out->labels = LabelsOf(*s);
  out->chunks.clear();
  out->head_chunk.clear();
  out->ooo.clear();
  std::lock_guard lock(s->mu);
  for (const CompletedChunk& c : s->chunks) {
    if (c.max_t() < mint || c.min_t > maxt) continue;
    out->chunks.push_back(ChunkView{c.min_t, c.max_t(), c.data, c.size});
  }
  const ChunkAppender& h = s->head;
  if (h.count() > 0 && h.last_t() >= mint && h.first_t() <= maxt) {
    out->head_chunk.assign(h.data(), h.data() + h.size());
    out->chunks.push_back(ChunkView{h.first_t(), h.last_t(), out->head_chunk.data(), h.size()});
  }
  if (s->ooo) {
    for (const Sample& x : *s->ooo) {
      if (x.t >= mint && x.t <= maxt) out->ooo.push_back(x);
    }
  }
  return true;
}

bool Head::HasSampleIn(storage::SeriesRef ref, int64_t mint, int64_t maxt) const {
  MemSeries* s = GetByRef(ref);
  if (s == nullptr) return false;
  std::lock_guard lock(s->mu);
  auto check = [&](int64_t cmin, int64_t cmax, const uint8_t* data, size_t size) {
    if (cmax < mint || cmin > maxt) return false;
    if (cmin >= mint || cmax <= maxt) return true;  // an end sample lies inside the range
    ChunkIterator it(data, size, cmin);
    return it.Seek(mint) && it.t() <= maxt;
  };
  auto c = std::lower_bound(s->chunks.begin(), s->chunks.end(), mint,
                            [](const CompletedChunk& ch, int64_t x) { return ch.max_t() < x; });
  for (; c != s->chunks.end() && c->min_t <= maxt; ++c) {
    if (check(c->min_t, c->max_t(), c->data, c->size)) return true;
  }
  const ChunkAppender& h = s->head;
  if (h.count() > 0 && check(h.first_t(), h.last_t(), h.data(), h.size())) return true;
  if (s->ooo) {
    auto it = std::lower_bound(s->ooo->begin(), s->ooo->end(), mint,
                               [](const Sample& a, int64_t x) { return a.t < x; });
    if (it != s->ooo->end() && it->t <= maxt) return true;
  }
  return false;
}

bool Head::HasSeries(storage::SeriesRef ref) const { return GetByRef(ref) != nullptr; }

int64_t Head::OldestSampleTime() const {
  int64_t oldest = storage::kMaxTime;
  for (uint64_t ref : postings_.All()) {
    MemSeries* s = GetByRef(ref);
    if (s == nullptr) continue;
    std::lock_guard lock(s->mu);
    if (!s->chunks.empty()) oldest = std::min(oldest, s->chunks.front().min_t);
    if (s->head.count() > 0) oldest = std::min(oldest, s->head.first_t());
    if (s->ooo && !s->ooo->empty()) oldest = std::min(oldest, s->ooo->front().t);
  }
  return oldest;
}

uint64_t Head::Pin() const {
  std::lock_guard lock(reclaimer_->mu);
  ++reclaimer_->pins[reclaimer_->epoch];
  return reclaimer_->epoch;
}

void Head::Unpin(uint64_t epoch) const {
  std::vector<Reclaimer::Garbage> freed;
  {
    std::lock_guard lock(reclaimer_->mu);
    auto it = reclaimer_->pins.find(epoch);
    if (it != reclaimer_->pins.end() && --it->second == 0) reclaimer_->pins.erase(it);
    if (!reclaimer_->garbage.empty()) reclaimer_->CollectLocked(&freed);
  }
}

void Head::SetMinValidTime(int64_t t) {
  int64_t cur = min_valid_time_.load();
  while (t > cur && !min_valid_time_.compare_exchange_weak(cur, t)) {
  }
}

Head::TruncateStats Head::Truncate(int64_t mint) {
  TruncateStats st;
  SetMinValidTime(mint);
  Reclaimer::Garbage g;
  // Blocks of chunks that all end before mint: every such chunk is dropped from its series by
  // the loop below (chunks ending before mint form a prefix of each series' list), and chunks
  // cut from now on go to other blocks. Freed with the rest once no reader is older.
  g.chunk_blocks = chunk_arena_->Release(mint);
  chunk_arena_->Cut();  // so that the next truncation can release what is written from now
  std::vector<MemSeries*> dead;
  for (uint64_t ref : postings_.All()) {
    MemSeries* s = GetByRef(ref);
    if (s == nullptr) continue;
    std::lock_guard lock(s->mu);
    size_t n = 0;
    while (n < s->chunks.size() && s->chunks[n].max_t() < mint) ++n;
    if (n > 0) {
      s->chunks.erase(s->chunks.begin(), s->chunks.begin() + static_cast<std::ptrdiff_t>(n));
      if (s->chunks.capacity() > s->chunks.size() + 2) s->chunks.shrink_to_fit();
      st.chunks_dropped += n;
    }
    if (s->head.count() > 0 && s->head.last_t() < mint) {
      s->head.Reset();
      ++st.chunks_dropped;
    }
    if (s->ooo) {
      auto keep = std::lower_bound(s->ooo->begin(), s->ooo->end(), mint,
                                   [](const Sample& a, int64_t x) { return a.t < x; });
      st.ooo_dropped += static_cast<uint64_t>(keep - s->ooo->begin());
      s->ooo->erase(s->ooo->begin(), keep);
      if (s->ooo->empty()) s->ooo.reset();
    }
    if (s->chunks.empty() && s->head.count() == 0 && !s->ooo && s->pending.load() == 0) {
      s->deleted = true;
      dead.push_back(s);
    }
  }
  Postings dead_refs;
  for (MemSeries* s : dead) {
    {
      Stripe& hs = stripes_[s->hash & (kStripes - 1)];
      std::lock_guard lock(hs.mu);
      MemSeries** chain = hs.by_hash.FindSlot(s->hash);
      if (chain != nullptr) {
        if (*chain == s) {
          if (s->hash_next != nullptr) {
            *chain = s->hash_next;
          } else {
            hs.by_hash.Erase(s->hash);
          }
        } else {
          for (MemSeries* p = *chain; p != nullptr; p = p->hash_next) {
            if (p->hash_next == s) {
              p->hash_next = s->hash_next;
              break;
            }
          }
        }
      }
    }
    {
      Stripe& rs = stripes_[s->ref & (kStripes - 1)];
      std::lock_guard lock(rs.mu);
      if (MemSeries* owned = rs.by_ref.Erase(s->ref)) {
        g.series.push_back(std::unique_ptr<MemSeries>(owned));
      }
    }
    dead_refs.push_back(s->ref);
  }
  std::sort(dead_refs.begin(), dead_refs.end());
  postings_.Delete(dead_refs);
  num_series_.fetch_sub(dead.size());
  st.series_removed = dead.size();
  int64_t cur = min_time_.load();
  while (cur < mint && !min_time_.compare_exchange_weak(cur, mint)) {
  }
  std::vector<Reclaimer::Garbage> freed;
  {
    std::lock_guard lock(reclaimer_->mu);
    g.epoch = reclaimer_->epoch++;
    reclaimer_->garbage.push_back(std::move(g));
    reclaimer_->CollectLocked(&freed);
  }
  return st;
}

HeadStats Head::stats() const {
  HeadStats st;
  st.num_series = num_series_.load();
  st.num_symbols = symbols_.size();
  st.num_postings_pairs = postings_.num_pairs();
  st.samples_appended = samples_appended_.load();
  st.ooo_samples_appended = ooo_appended_.load();
  st.dropped_at_commit = dropped_at_commit_.load();
  st.refused_too_far_future = refused_future_.load();
  st.refused_too_old = refused_too_old_.load();
  st.chunks_cut = chunks_cut_.load();
  st.min_time = min_time_.load();
  st.max_time = max_time_.load();
  return st;
}

}  // namespace astrolabe::tsdb
