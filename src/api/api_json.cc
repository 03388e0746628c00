#include "api/api_json.h"

#include <simdjson.h>

#include "common/json_string.h"

namespace astrolabe::api {

void AppendJsonString(std::string& out, std::string_view s) {
  astrolabe::AppendJsonString(out, s, JsonHtml::kEscape);
}

std::string ErrorJson(int code, std::string_view message) {
  std::string out = "{\"error\":{\"code\":" + std::to_string(code) + ",\"message\":";
  AppendJsonString(out, message);
  out += "}}";
  return out;
}

std::string TokenJson(const TokenInfo& t) {
  std::string out = "{\"id\":";
  AppendJsonString(out, t.id);
  out += ",\"name\":";
  AppendJsonString(out, t.name);
  out += ",\"scopes\":[";
  for (size_t i = 0; i < t.scopes.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, t.scopes[i]);
  }
  out += "],\"created\":";
  AppendJsonString(out, t.created);
  if (!t.revoked.empty()) {
    out += ",\"revoked\":";
    AppendJsonString(out, t.revoked);
  }
  out += '}';
  return out;
}

Status ParseCreateTokenRequest(std::string_view body, std::string* name,
                               std::vector<std::string>* scopes) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    return InvalidArgument(std::string("request body is not valid JSON: ") +
                           simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (root.get(obj)) return InvalidArgument("request body: expected a JSON object");
  for (auto field : obj) {
    if (field.key != "name" && field.key != "scopes") {
      return InvalidArgument("request body: unknown field \"" + std::string(field.key) +
                             "\" (expected name, scopes)");
    }
  }
  std::string_view n;
  if (obj["name"].get(n)) return InvalidArgument("name: expected a string");
  *name = std::string(n);
  simdjson::dom::array list;
  if (obj["scopes"].get(list)) return InvalidArgument("scopes: expected an array of strings");
  scopes->clear();
  for (simdjson::dom::element e : list) {
    std::string_view s;
    if (e.get(s)) return InvalidArgument("scopes: expected an array of strings");
    scopes->emplace_back(s);
  }
  return Status::Ok();
}

}  // namespace astrolabe::api
