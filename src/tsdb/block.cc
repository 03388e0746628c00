// Block reading: Block::Open (validation) and the block querier.
#include "tsdb/block.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "common/crc32c.h"
#include "tsdb/block_format.h"
#include "tsdb/chunk.h"
#include "tsdb/postings.h"
#include "tsdb/snapshot_series.h"
#include "tsdb/wal/file_util.h"

namespace astrolabe::tsdb {

using namespace block_internal;
using storage::Labels;
using storage::Matcher;
using storage::MatchType;
using wal::internal::MappedFile;

struct Block::Impl {
  std::string dir;
  std::string index_path;
  MappedFile index;
  std::vector<MappedFile> segments;  // chunks/000001 is segments[0]
  std::vector<std::string> segment_paths;
  std::vector<std::string_view> symbols;  // sorted: id order is string order
  const uint8_t* series = nullptr;        // series section body
  size_t series_size = 0;
  uint64_t series_base = 0;  // file offset of the body, for error messages
  const uint8_t* postings = nullptr;
  size_t postings_size = 0;
  uint64_t postings_base = 0;
  uint64_t all_postings = 0;
  // name symbol → (value symbol, postings offset), values ascending.
  std::map<uint32_t, std::vector<std::pair<uint32_t, uint64_t>>> table;
  int64_t min_time = 0, max_time = 0;

  Status IndexError(uint64_t offset, const std::string& what) const {
    return DataLoss("tsdb block: " + index_path + " at offset " + std::to_string(offset) + ": " +
                    what);
  }

  std::optional<uint32_t> FindSymbol(std::string_view s) const {
    auto it = std::lower_bound(symbols.begin(), symbols.end(), s);
    if (it == symbols.end() || *it != s) return std::nullopt;
    return static_cast<uint32_t>(it - symbols.begin());
  }

  Result<Postings> ReadPostings(uint64_t off) const {
    if (off >= postings_size)
      return IndexError(postings_base + off, "postings offset out of range");
    Decoder d(postings + off, postings + postings_size);
    uint64_t n = d.Uvarint();
    if (!d.ok() || n > d.remaining()) return IndexError(postings_base + off, "bad postings list");
    Postings out;
    out.reserve(n);
    uint64_t id = 0;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t delta = d.Uvarint();
      if (!d.ok() || (i > 0 && delta == 0) || delta > series_size - id) {
        return IndexError(postings_base + off, "bad postings list");
      }
      id += delta;
      if (id >= series_size) return IndexError(postings_base + off, "series id out of range");
      out.push_back(id);
    }
    return out;
  }

  // Union of the postings of every value of `name` satisfying pred.
  template <typename Pred>
  Result<Postings> UnionWhere(uint32_t name, Pred pred) const {
    auto it = table.find(name);
    if (it == table.end()) return Postings{};
    std::vector<Postings> lists;
    for (const auto& [value, off] : it->second) {
      if (!pred(symbols[value])) continue;
      ASSIGN_OR_RETURN(Postings p, ReadPostings(off));
      lists.push_back(std::move(p));
    }
    return Union(std::move(lists));
  }

  Result<Postings> Lookup(uint32_t name, const std::vector<std::string>& values) const {
    auto it = table.find(name);
    if (it == table.end()) return Postings{};
    std::vector<Postings> lists;
    for (const std::string& v : values) {
      std::optional<uint32_t> sym = FindSymbol(v);
      if (!sym) continue;
      auto e = std::lower_bound(it->second.begin(), it->second.end(), *sym,
                                [](const auto& a, uint32_t x) { return a.first < x; });
      if (e == it->second.end() || e->first != *sym) continue;
      ASSIGN_OR_RETURN(Postings p, ReadPostings(e->second));
      lists.push_back(std::move(p));
    }
    return Union(std::move(lists));
  }

  // The same algebra as Head::PostingsForMatchers, over the index.
  Result<Postings> PostingsForMatchers(std::span<const Matcher> matchers) const {
    Postings result;
    bool have = false;
    std::vector<Postings> subtract;
    for (const Matcher& m : matchers) {
      std::optional<uint32_t> name = FindSymbol(m.name());
      const std::vector<std::string>* lit = m.LiteralSet();
      bool negative = m.type() == MatchType::kNotEqual || m.type() == MatchType::kRegexNoMatch;
      if (m.MatchesEmpty()) {
        if (!name) continue;
        if (lit != nullptr && negative) {
          ASSIGN_OR_RETURN(Postings p, Lookup(*name, *lit));
          subtract.push_back(std::move(p));
        } else {
          ASSIGN_OR_RETURN(Postings p,
                           UnionWhere(*name, [&](std::string_view v) { return !m.Matches(v); }));
          subtract.push_back(std::move(p));
        }
        continue;
      }
      if (!name) return Postings{};
      Postings p;
      if (lit != nullptr && !negative) {
        ASSIGN_OR_RETURN(p, Lookup(*name, *lit));
      } else {
        ASSIGN_OR_RETURN(p, UnionWhere(*name, [&](std::string_view v) { return m.Matches(v); }));
      }
      result = have ? Intersect(result, p) : std::move(p);
      have = true;
      if (result.empty()) return result;
    }
    if (!have) {
      ASSIGN_OR_RETURN(result, ReadPostings(all_postings));
    }
    for (const Postings& s : subtract) result = Difference(result, s);
    return result;
  }

  struct ChunkMeta {
    int64_t min_t, max_t;
    uint64_t ref;
  };

  // Decodes series `id`: labels and chunk metas.
  Status ReadSeries(uint64_t id, Labels* labels, std::vector<ChunkMeta>* chunks) const {
    if (id >= series_size) return IndexError(series_base + id, "series id out of range");
    Decoder d(series + id, series + series_size);
    uint64_t n = d.Uvarint();
    if (!d.ok() || n > d.remaining() / 2) return IndexError(series_base + id, "bad series entry");
    std::vector<storage::Label> pairs;
    pairs.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t name = d.Uvarint(), value = d.Uvarint();
      if (!d.ok() || name >= symbols.size() || value >= symbols.size()) {
        return IndexError(series_base + id, "bad label symbol in series entry");
      }
      if (symbols[value].empty() || symbols[name].empty() ||
          (!pairs.empty() && pairs.back().name >= symbols[name])) {
        return IndexError(series_base + id, "labels of series entry not sorted or empty");
      }
      pairs.push_back({symbols[name], symbols[value]});
    }
    *labels = Labels::FromSorted(pairs);
    uint64_t nc = d.Uvarint();
    if (!d.ok() || nc == 0 || nc > d.remaining() / 3) {
      return IndexError(series_base + id, "bad chunk count in series entry");
    }
    chunks->clear();
    chunks->reserve(nc);
    for (uint64_t i = 0; i < nc; ++i) {
      ChunkMeta c;
      if (i == 0) {
        c.min_t = d.Varint();
        uint64_t span = d.Uvarint();
        c.ref = d.Uvarint();
        if (span > Room(c.min_t)) return Bad(id);
        c.max_t = static_cast<int64_t>(static_cast<uint64_t>(c.min_t) + span);
      } else {
        const ChunkMeta& p = chunks->back();
        uint64_t gap = d.Uvarint(), span = d.Uvarint(), dref = d.Uvarint();
        if (gap == 0 || gap > Room(p.max_t)) return Bad(id);
        c.min_t = static_cast<int64_t>(static_cast<uint64_t>(p.max_t) + gap);
        if (span > Room(c.min_t)) return Bad(id);
        c.max_t = static_cast<int64_t>(static_cast<uint64_t>(c.min_t) + span);
        if (dref == 0 || dref > UINT64_MAX - p.ref) return Bad(id);
        c.ref = p.ref + dref;
      }
      if (!d.ok()) return Bad(id);
      chunks->push_back(c);
    }
    return Status::Ok();
  }
  // kMaxTime - t as an unsigned distance (no signed overflow for negative t).
  static uint64_t Room(int64_t t) {
    return static_cast<uint64_t>(storage::kMaxTime) - static_cast<uint64_t>(t);
  }
  Status Bad(uint64_t id) const { return IndexError(series_base + id, "bad chunk meta in series"); }

  // The chunk at `ref`, CRC-checked.
  Result<ChunkView> ReadChunk(const ChunkMeta& c) const {
    uint64_t seg = c.ref >> 32, off = c.ref & 0xffffffffu;
    if (seg == 0 || seg > segments.size()) {
      return DataLoss("tsdb block: " + dir + ": chunk ref " + std::to_string(c.ref) +
                      " names missing segment " + std::to_string(seg));
    }
    std::string_view file = segments[seg - 1].data();
    const std::string& path = segment_paths[seg - 1];
    auto fail = [&](const std::string& what) {
      return DataLoss("tsdb block: " + path + " at offset " + std::to_string(off) + ": " + what);
    };
    if (off < kFileHeaderSize || off >= file.size()) return fail("chunk offset out of range");
    const uint8_t* base = reinterpret_cast<const uint8_t*>(file.data());
    Decoder d(base + off, base + file.size());
    uint64_t len = d.Uvarint();
    if (!d.ok() || d.remaining() < 5 || len > d.remaining() - 5) return fail("truncated chunk");
    const uint8_t* enc = d.pos();
    if (GetU32(enc + 1 + len) != Crc32cExtend(0, enc, len + 1)) return fail("chunk CRC mismatch");
    if (enc[0] != static_cast<uint8_t>(ChunkEncoding::kXorHybrid)) {
      return fail("unknown chunk encoding " + std::to_string(enc[0]));
    }
    return ChunkView{c.min_t, c.max_t, enc + 1, len};
  }

  // Snapshot of series `id` restricted to chunks overlapping [mint, maxt]; *any=false when no
  // chunk overlaps.
  Status Snapshot(uint64_t id, int64_t mint, int64_t maxt, SeriesSnapshot* snap) const {
    std::vector<ChunkMeta> metas;
    RETURN_IF_ERROR(ReadSeries(id, &snap->labels, &metas));
    snap->ref = id;
    snap->chunks.clear();
    for (const ChunkMeta& c : metas) {
      if (c.max_t < mint || c.min_t > maxt) continue;
      ASSIGN_OR_RETURN(ChunkView v, ReadChunk(c));
      snap->chunks.push_back(v);
    }
    return Status::Ok();
  }
};

Block::~Block() = default;

Result<std::shared_ptr<Block>> Block::Open(const std::string& dir) {
  namespace fs = std::filesystem;
  std::shared_ptr<Block> b(new Block());
  b->dir_ = dir;
  auto impl = std::make_shared<Impl>();
  impl->dir = dir;
  {
    ASSIGN_OR_RETURN(MappedFile meta, MappedFile::Open(dir + "/meta.json"));
    if (meta.data().size() > (1u << 20))
      return DataLoss("tsdb block: " + dir + "/meta.json too big");
    Result<BlockMeta> m = DecodeBlockMeta(meta.data());
    if (!m.ok()) return DataLoss("tsdb block: " + dir + "/" + m.status().message());
    b->meta_ = std::move(*m);
    b->size_bytes_ += meta.data().size();
  }
  impl->min_time = b->meta_.min_time;
  impl->max_time = b->meta_.max_time;

  impl->index_path = dir + "/index";
  ASSIGN_OR_RETURN(impl->index, MappedFile::Open(impl->index_path));
  std::string_view idx = impl->index.data();
  b->size_bytes_ += idx.size();
  const uint8_t* base = reinterpret_cast<const uint8_t*>(idx.data());
  if (idx.size() < kFileHeaderSize + kTocSize) {
    return impl->IndexError(0, "file too short (" + std::to_string(idx.size()) + " bytes)");
  }
  if (std::memcmp(base, kIndexMagic, 4) != 0 || base[4] != kFormatVersion || base[5] != 0 ||
      base[6] != 0 || base[7] != 0) {
    return impl->IndexError(0, "bad magic or version");
  }
  const size_t toc_off = idx.size() - kTocSize;
  if (GetU32(base + toc_off + 40) != Crc32cExtend(0, base + toc_off, 40)) {
    return impl->IndexError(toc_off, "table of contents CRC mismatch");
  }
  uint64_t offs[4];
  for (int i = 0; i < 4; ++i) offs[i] = GetU64(base + toc_off + 8 * i);
  impl->all_postings = GetU64(base + toc_off + 32);
  // Each section: u32 length, body, u32 CRC; in order, ending at the TOC.
  std::string_view bodies[4];
  uint64_t expect = kFileHeaderSize;
  for (int i = 0; i < 4; ++i) {
    if (offs[i] != expect || toc_off - offs[i] < 8) {
      return impl->IndexError(toc_off, "section " + std::to_string(i) + " offset " +
                                           std::to_string(offs[i]) + " out of place");
    }
    uint64_t len = GetU32(base + offs[i]);
    if (len > toc_off - offs[i] - 8) {
      return impl->IndexError(offs[i], "section length " + std::to_string(len) + " past the end");
    }
    const uint8_t* body = base + offs[i] + 4;
    if (GetU32(body + len) != Crc32cExtend(0, body, len)) {
      return impl->IndexError(offs[i], "section CRC mismatch");
    }
    bodies[i] = std::string_view(reinterpret_cast<const char*>(body), len);
    expect = offs[i] + 8 + len;
  }
  if (expect != toc_off) return impl->IndexError(expect, "unexpected bytes before the TOC");
  auto u8 = [](std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); };

  {  // symbols
    Decoder d(u8(bodies[0]), u8(bodies[0]) + bodies[0].size());
    uint64_t n = d.Uvarint();
    if (!d.ok() || n > d.remaining()) return impl->IndexError(offs[0] + 4, "bad symbol count");
    impl->symbols.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view s = d.Bytes();
      if (!d.ok()) return impl->IndexError(offs[0] + 4, "truncated symbol table");
      if (!impl->symbols.empty() && impl->symbols.back() >= s) {
        return impl->IndexError(offs[0] + 4 + (d.pos() - u8(bodies[0])),
                                "symbols not sorted and unique");
      }
      impl->symbols.push_back(s);
    }
  }
  impl->series = u8(bodies[1]);
  impl->series_size = bodies[1].size();
  impl->series_base = offs[1] + 4;
  impl->postings = u8(bodies[2]);
  impl->postings_size = bodies[2].size();
  impl->postings_base = offs[2] + 4;
  {  // postings offset table
    Decoder d(u8(bodies[3]), u8(bodies[3]) + bodies[3].size());
    uint64_t n = d.Uvarint();
    if (!d.ok() || n > d.remaining()) return impl->IndexError(offs[3] + 4, "bad table count");
    std::pair<uint64_t, uint64_t> prev{0, 0};
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t name = d.Uvarint(), value = d.Uvarint(), off = d.Uvarint();
      uint64_t at = offs[3] + 4 + static_cast<uint64_t>(d.pos() - u8(bodies[3]));
      if (!d.ok() || name >= impl->symbols.size() || value >= impl->symbols.size() ||
          off >= impl->postings_size) {
        return impl->IndexError(at, "bad postings offset table entry");
      }
      std::pair<uint64_t, uint64_t> cur{name, value};
      if (i > 0 && !(prev < cur)) return impl->IndexError(at, "offset table not sorted");
      prev = cur;
      impl->table[static_cast<uint32_t>(name)].emplace_back(static_cast<uint32_t>(value), off);
    }
    if (impl->all_postings >= impl->postings_size) {
      return impl->IndexError(toc_off, "all-series postings offset out of range");
    }
  }

  // Chunk segments: consecutive from 000001, each with a valid header.
  for (uint32_t n = 1;; ++n) {
    std::string path = dir + "/chunks/" + SegmentName(n);
    std::error_code ec;
    if (!fs::exists(path, ec)) break;
    ASSIGN_OR_RETURN(MappedFile f, MappedFile::Open(path));
    const uint8_t* p = reinterpret_cast<const uint8_t*>(f.data().data());
    if (f.data().size() < kFileHeaderSize || std::memcmp(p, kChunksMagic, 4) != 0 ||
        p[4] != kFormatVersion || p[5] != 0 || p[6] != 0 || p[7] != 0) {
      return DataLoss("tsdb block: " + path + " at offset 0: bad chunk file header");
    }
    b->size_bytes_ += f.data().size();
    impl->segments.push_back(std::move(f));
    impl->segment_paths.push_back(std::move(path));
  }
  if (impl->segments.empty() && b->meta_.stats.num_chunks > 0) {
    return DataLoss("tsdb block: " + dir + "/chunks: no chunk segments");
  }
  b->impl_ = std::move(impl);
  return b;
}

namespace {

class BlockQuerier final : public storage::Querier {
 public:
  BlockQuerier(std::shared_ptr<const Block::Impl> impl, const storage::QueryLimits& limits)
      : impl_(std::move(impl)), state_(std::make_shared<QueryState>()) {
    state_->limits = limits;
  }

  Result<std::unique_ptr<storage::SeriesSet>> Select(std::span<const Matcher> matchers,
                                                     int64_t mint, int64_t maxt,
                                                     const storage::SelectHints&) override {
    std::vector<std::unique_ptr<storage::Series>> out;
    if (Overlaps(mint, maxt)) {
      ASSIGN_OR_RETURN(Postings ids, impl_->PostingsForMatchers(matchers));
      size_t limit = state_->limits.max_series;
      for (uint64_t id : ids) {
        SeriesSnapshot snap;
        RETURN_IF_ERROR(impl_->Snapshot(id, mint, maxt, &snap));
        if (snap.chunks.empty() || !SnapshotHasData(snap, mint, maxt)) continue;
        if (limit != 0 && out.size() >= limit) {
          return ResourceExhausted("series limit: the query selects more than " +
                                   std::to_string(limit) + " series (max_series)");
        }
        out.push_back(NewSnapshotSeries(std::move(snap), mint, maxt, state_));
      }
      // Series ids are offsets of entries written in label order: already sorted.
    }
    return NewListSeriesSet(std::move(out));
  }

  Result<std::vector<std::string>> LabelNames(std::span<const Matcher> matchers, int64_t mint,
                                              int64_t maxt) override {
    std::set<std::string, std::less<>> names;
    if (!Overlaps(mint, maxt)) return std::vector<std::string>{};
    if (matchers.empty() && Covers(mint, maxt)) {
      // Every series of a block has a sample inside the block's range.
      for (const auto& [name, values] : impl_->table) names.emplace(impl_->symbols[name]);
    } else {
      RETURN_IF_ERROR(ForEachSeriesWithData(matchers, mint, maxt, [&](const Labels& l) {
        for (storage::Label x : l) {
          if (names.find(x.name) == names.end()) names.emplace(x.name);
        }
      }));
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               std::span<const Matcher> matchers, int64_t mint,
                                               int64_t maxt) override {
    std::set<std::string, std::less<>> values;
    if (!Overlaps(mint, maxt)) return std::vector<std::string>{};
    if (matchers.empty() && Covers(mint, maxt)) {
      std::optional<uint32_t> sym = impl_->FindSymbol(name);
      if (sym) {
        auto it = impl_->table.find(*sym);
        if (it != impl_->table.end()) {
          for (const auto& [value, off] : it->second) values.emplace(impl_->symbols[value]);
        }
      }
    } else {
      RETURN_IF_ERROR(ForEachSeriesWithData(matchers, mint, maxt, [&](const Labels& l) {
        std::string_view v = l.Get(name);
        if (!v.empty() && values.find(v) == values.end()) values.emplace(v);
      }));
    }
    return std::vector<std::string>(values.begin(), values.end());
  }

  std::vector<storage::FamilyMetadata> Metadata(std::string_view) override { return {}; }

 private:
  bool Overlaps(int64_t mint, int64_t maxt) const {
    return mint <= maxt && maxt >= impl_->min_time && mint < impl_->max_time;
  }
  bool Covers(int64_t mint, int64_t maxt) const {
    return mint <= impl_->min_time && maxt >= impl_->max_time - 1;
  }

  template <typename Fn>
  Status ForEachSeriesWithData(std::span<const Matcher> matchers, int64_t mint, int64_t maxt,
                               Fn fn) {
    ASSIGN_OR_RETURN(Postings ids, impl_->PostingsForMatchers(matchers));
    for (uint64_t id : ids) {
      SeriesSnapshot snap;
      RETURN_IF_ERROR(impl_->Snapshot(id, mint, maxt, &snap));
      if (snap.chunks.empty() || !SnapshotHasData(snap, mint, maxt)) continue;
      fn(snap.labels);
    }
    return Status::Ok();
  }

  std::shared_ptr<const Block::Impl> impl_;
  std::shared_ptr<QueryState> state_;
};

}  // namespace

std::unique_ptr<storage::Querier> Block::NewQuerier(const storage::QueryLimits& limits) const {
  return std::make_unique<BlockQuerier>(impl_, limits);
}

}  // namespace astrolabe::tsdb
