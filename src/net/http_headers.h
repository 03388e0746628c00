#pragma once
// HttpHeaders: an ordered list of HTTP header fields with case-insensitive name lookup, used
// by the client's requests and responses and by the server's responses.
// Thread-compatible: a value type with no shared state.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace astrolabe::net {

// True when a and b are equal ignoring ASCII case (HTTP field names, RFC 9110 §5.1).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

class HttpHeaders {
 public:
  using Field = std::pair<std::string, std::string>;

  HttpHeaders() = default;
  HttpHeaders(std::initializer_list<Field> fields) : fields_(fields) {}

  // Appends a field; an existing field of the same name is kept (repeated fields).
  void Add(std::string name, std::string value);
  // Replaces every field named `name` (any case) with one field.
  void Set(std::string name, std::string value);
  // Removes every field named `name` (any case).
  void Remove(std::string_view name);

  // The first value of the field named `name` (any case), or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Every value of the fields named `name`, in order.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  const std::vector<Field>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }
  size_t size() const { return fields_.size(); }
  void Clear() { fields_.clear(); }

 private:
  std::vector<Field> fields_;
};

}  // namespace astrolabe::net
