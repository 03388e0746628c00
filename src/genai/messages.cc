#include "genai/messages.h"

#include <simdjson.h>

#include "common/json_string.h"

#include <cstdint>

namespace astrolabe::genai {

namespace dom = simdjson::dom;

namespace {

void AppendPart(std::string& out, const MessagePart& p) {
  switch (p.type) {
    case MessagePart::Type::kText:
      out += "{\"type\":\"text\",\"content\":";
      AppendJsonString(out, p.content);
      break;
    case MessagePart::Type::kToolCall: {
      out += "{\"type\":\"tool_call\"";
      if (!p.id.empty()) {
        out += ",\"id\":";
        AppendJsonString(out, p.id);
      }
      out += ",\"name\":";
      AppendJsonString(out, p.name);
      if (!p.arguments.empty()) {
        out += ",\"arguments\":";
        std::string minified;
        if (IsJson(p.arguments, &minified)) {
          out += minified;
        } else {
          AppendJsonString(out, p.arguments);
        }
      }
      break;
    }
    case MessagePart::Type::kToolCallResponse:
      out += "{\"type\":\"tool_call_response\"";
      if (!p.id.empty()) {
        out += ",\"id\":";
        AppendJsonString(out, p.id);
      }
      out += ",\"response\":";
      AppendJsonString(out, p.content);
      break;
  }
  out += '}';
}

// The text of a JSON value: strings as they are, anything else minified.
std::string ValueText(dom::element e) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return simdjson::minify(e);
}

std::string StringField(dom::object o, std::string_view key) {
  dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return "";
  return ValueText(e);
}

void AppendToolCalls(dom::array calls, Message* m) {
  for (dom::element c : calls) {
    dom::object co;
    if (c.get_object().get(co) != simdjson::SUCCESS) continue;
    MessagePart p;
    p.type = MessagePart::Type::kToolCall;
    p.id = StringField(co, "id");
    dom::object fn;
    if (co.at_key("function").get_object().get(fn) == simdjson::SUCCESS) {
      p.name = StringField(fn, "name");
      p.arguments = StringField(fn, "arguments");
    } else {
      p.name = StringField(co, "name");
      p.arguments = StringField(co, "arguments");
    }
    m->parts.push_back(std::move(p));
  }
}

bool ParseMessage(dom::object o, Message* m) {
  m->role = StringField(o, "role");
  m->finish_reason = StringField(o, "finish_reason");
  dom::array parts;
  if (o.at_key("parts").get_array().get(parts) == simdjson::SUCCESS) {
    for (dom::element pe : parts) {
      dom::object po;
      if (pe.get_object().get(po) != simdjson::SUCCESS) continue;
      std::string type = StringField(po, "type");
      MessagePart p;
      if (type == "tool_call") {
        p.type = MessagePart::Type::kToolCall;
        p.id = StringField(po, "id");
        p.name = StringField(po, "name");
        p.arguments = StringField(po, "arguments");
      } else if (type == "tool_call_response") {
        p.type = MessagePart::Type::kToolCallResponse;
        p.id = StringField(po, "id");
        p.content = StringField(po, "response");
      } else {
        p.content = StringField(po, "content");
      }
      m->parts.push_back(std::move(p));
    }
    return true;
  }
  dom::element content;
  if (o.at_key("content").get(content) == simdjson::SUCCESS && !content.is_null()) {
    dom::array items;
    if (content.get_array().get(items) == simdjson::SUCCESS) {
      for (dom::element it : items) {
        dom::object io;
        MessagePart p;
        if (it.get_object().get(io) == simdjson::SUCCESS) {
          p.content = StringField(io, "text");
          if (p.content.empty()) p.content = StringField(io, "content");
        } else {
          p.content = ValueText(it);
        }
        m->parts.push_back(std::move(p));
      }
    } else {
      MessagePart p;
      p.content = ValueText(content);
      std::string tool_call_id = StringField(o, "tool_call_id");
      if (m->role == "tool" && !tool_call_id.empty()) {
        p.type = MessagePart::Type::kToolCallResponse;
        p.id = std::move(tool_call_id);
      }
      m->parts.push_back(std::move(p));
    }
  }
  dom::array calls;
  if (o.at_key("tool_calls").get_array().get(calls) == simdjson::SUCCESS) {
    AppendToolCalls(calls, m);
  }
  return true;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) { astrolabe::AppendJsonString(out, s); }

std::string MessagesToJson(const std::vector<Message>& messages) {
  std::string out = "[";
  for (size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    if (i > 0) out += ',';
    out += "{\"role\":";
    AppendJsonString(out, m.role);
    out += ",\"parts\":[";
    for (size_t k = 0; k < m.parts.size(); ++k) {
      if (k > 0) out += ',';
      AppendPart(out, m.parts[k]);
    }
    out += ']';
    if (!m.finish_reason.empty()) {
      out += ",\"finish_reason\":";
      AppendJsonString(out, m.finish_reason);
    }
    out += '}';
  }
  out += ']';
  return out;
}

bool IsJson(std::string_view text, std::string* minified) {
  // Plain words ("hello") are not JSON; only objects and arrays are embedded as JSON, so a
  // bare number or string argument stays a string as the emitter sent it.
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || (text[first] != '{' && text[first] != '[')) {
    return false;
  }
  if (text.size() > (4u << 20)) return false;
  // Shallower than the reader's limit (1024), so that embedded in a message (four levels
  // deeper) it still reads back.
  dom::parser parser;
  if (parser.allocate(text.size(), 256) != simdjson::SUCCESS) return false;
  dom::element doc;
  if (parser.parse(text.data(), text.size(), true).get(doc) != simdjson::SUCCESS) return false;
  if (minified != nullptr) *minified = simdjson::minify(doc);
  return true;
}

bool ParseMessagesJson(std::string_view json, std::vector<Message>* out, size_t max_bytes) {
  if (json.size() > max_bytes) return false;
  dom::parser parser;
  dom::element doc;
  if (parser.parse(json.data(), json.size(), true).get(doc) != simdjson::SUCCESS) return false;
  dom::array arr;
  if (doc.get_array().get(arr) != simdjson::SUCCESS) return false;
  std::vector<Message> parsed;
  for (dom::element e : arr) {
    dom::object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return false;
    Message m;
    ParseMessage(o, &m);
    parsed.push_back(std::move(m));
  }
  for (Message& m : parsed) out->push_back(std::move(m));
  return true;
}

}  // namespace astrolabe::genai
