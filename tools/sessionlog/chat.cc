#include "tools/sessionlog/chat.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/client/client.h"
#include "nlohmann/json.hpp"

namespace sessionlog {
namespace cli {
namespace {

std::atomic<bool> g_interrupted{false};

// SIGINT is blocked in the threads started from here on (the client's
// inherit the mask) and taken by one thread of ours, which only raises the
// flag that the main loop polls.
void CatchInterrupts() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Threads started before this one (the store's) still take SIGINT:
    // the handler raises the same flag there. It also overrides a SIGINT
    // inherited ignored.
    struct sigaction action = {};
    action.sa_handler = [](int) { g_interrupted = true; };
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
      while (true) {
        int signal = 0;
        if (sigwait(&set, &signal) == 0) g_interrupted = true;
      }
    }).detach();
  });
}

// A line of `in`; for stdin, waits in slices so that a Ctrl-C is noticed.
// False at the end of input or on an interrupt (g_interrupted then).
bool ReadLine(std::istream& in, std::string* line) {
  if (&in == &std::cin) {
    while (!g_interrupted) {
      pollfd fd = {0, POLLIN, 0};
      int ready = poll(&fd, 1, 100);
      if (ready > 0) break;
      if (ready < 0 && errno != EINTR) break;
    }
    if (g_interrupted) return false;
  }
  return static_cast<bool>(std::getline(in, *line));
}

const char* kDim = "\033[2m";
const char* kBold = "\033[1m";
const char* kCyan = "\033[36m";
const char* kReset = "\033[0m";

// Prints what the agent sends: message chunks as they arrive; on a terminal
// also tool calls, plans and mode changes, dimmed.
class Transcript {
 public:
  Transcript(std::ostream& out, bool interactive)
      : out_(out), interactive_(interactive) {}

  void OnEvent(const SessionEvent& event) {
    if (event.sender != Sender::kAgent) return;
    nlohmann::json payload =
        nlohmann::json::parse(event.payload_json, nullptr, false);
    if (!payload.is_object() || payload.value("method", "") != "session/update")
      return;
    const nlohmann::json& update = payload["params"]["update"];
    if (!update.is_object()) return;
    const std::string kind = update.value("sessionUpdate", "");
    std::lock_guard<std::mutex> lock(mu_);
    if (kind == "agent_message_chunk" && update.contains("content") &&
        update["content"].value("type", "") == "text") {
      if (interactive_ && !in_message_) out_ << kCyan << "agent> " << kReset;
      in_message_ = true;
      out_ << update["content"].value("text", "");
      out_.flush();
      return;
    }
    if (!interactive_) return;
    std::string note;
    if (kind == "tool_call") {
      note = absl::StrCat("[tool: ", update.value("title", "?"), "]");
    } else if (kind == "current_mode_update") {
      note = absl::StrCat("[mode: ", update.value("currentModeId", "?"), "]");
    } else if (kind == "agent_thought_chunk") {
      note = "[thinking]";
    } else if (kind == "plan") {
      note = "[plan updated]";
    }
    if (note.empty()) return;
    if (in_message_) out_ << "\n";
    in_message_ = false;
    out_ << kDim << note << kReset << "\n";
    out_.flush();
  }

  // The end of a turn: a newline after the message, and on a terminal the
  // stop reason when it is not end_turn.
  void EndTurn(const std::string& stop_reason) {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_message_) out_ << "\n";
    in_message_ = false;
    if (interactive_ && !stop_reason.empty() && stop_reason != "end_turn") {
      out_ << kDim << "[" << stop_reason << "]" << kReset << "\n";
    }
    out_.flush();
  }

  // A line of the chat's own (on a terminal).
  void Note(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_message_) out_ << "\n";
    in_message_ = false;
    out_ << kDim << text << kReset << "\n";
    out_.flush();
  }

  void PromptMarker() {
    std::lock_guard<std::mutex> lock(mu_);
    out_ << kBold << "you> " << kReset;
    out_.flush();
  }

 private:
  std::mutex mu_;
  std::ostream& out_;
  const bool interactive_;
  bool in_message_ = false;
};

bool ParseReply(absl::string_view text, PermissionReply* reply) {
  std::string word = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (word == "once" || word == "o" || word == "y" || word == "yes") {
    *reply = PermissionReply::kOnce;
  } else if (word == "always" || word == "a") {
    *reply = PermissionReply::kAlways;
  } else if (word == "reject" || word == "r" || word == "n" || word == "no") {
    *reply = PermissionReply::kReject;
  } else {
    return false;
  }
  return true;
}

}  // namespace

absl::Status RunChat(const ChatOptions& options,
                     std::shared_ptr<SessionPersistDriver> store,
                     std::istream& in, std::ostream& out, std::ostream& err) {
  if (options.server.empty()) {
    return absl::InvalidArgumentError(
        "--server is required, e.g. --server http://127.0.0.1:2468");
  }
  if (options.agent.empty() == options.resume.empty()) {
    return absl::InvalidArgumentError(
        "give either --agent NAME (a new session) or --resume ID (a stored "
        "one)");
  }
  PermissionReply fixed_reply = PermissionReply::kOnce;
  const std::string permission = absl::AsciiStrToLower(options.permission);
  if (!permission.empty() && permission != "once" && permission != "always" &&
      permission != "reject") {
    return absl::InvalidArgumentError(
        absl::StrCat("--permission ", options.permission,
                     ": expected once, always or reject"));
  }
  if (!permission.empty()) ParseReply(permission, &fixed_reply);
  CatchInterrupts();  // Before the client starts its threads.
  ClientOptions client_options;
  client_options.base_url = options.server;
  client_options.token = options.token;
  client_options.driver = std::move(store);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(client_options);
  if (!client.ok()) return client.status();

  absl::StatusOr<SessionRecord> session;
  if (!options.resume.empty()) {
    session = (*client)->ResumeSession(options.resume);
    if (absl::IsNotFound(session.status())) {
      return absl::NotFoundError(
          absl::StrCat("no stored session \"", options.resume,
                       "\" (`sessionlog ls` lists them)"));
    }
  } else {
    CreateSessionRequest request;
    request.agent = options.agent;
    request.id = options.id;
    request.cwd = options.cwd;
    session = (*client)->CreateSession(request);
  }
  if (!session.ok()) return session.status();
  const std::string id = session->id;

  Transcript transcript(out, options.interactive);
  (*client)->AddEventListener(
      id, [&transcript](const SessionEvent& e) { transcript.OnEvent(e); });
  Client* c = client->get();
  if (!permission.empty()) {
    (*client)->AddPermissionHandler(
        id, [c, fixed_reply](const PermissionRequest& request) {
          c->RespondPermission(request.id, fixed_reply).IgnoreError();
        });
  } else if (options.interactive) {
    // Asked on the terminal; the main thread waits for the turn meanwhile,
    // so the line read here is the answer.
    (*client)->AddPermissionHandler(id, [c, &in, &transcript](
                                            const PermissionRequest& request) {
      nlohmann::json tool =
          nlohmann::json::parse(request.tool_call_json, nullptr, false);
      std::string title =
          tool.is_object() ? tool.value("title", "a tool call") : "a tool call";
      transcript.Note(
          absl::StrCat("permission: ", title, "? [",
                       absl::StrJoin(request.available_replies, "/"), "]"));
      std::string line;
      PermissionReply reply;
      while (ReadLine(in, &line)) {
        if (ParseReply(line, &reply) &&
            c->RespondPermission(request.id, reply).ok()) {
          return;
        }
        transcript.Note(absl::StrCat(
            "answer one of: ", absl::StrJoin(request.available_replies, ", ")));
      }
      in.clear();
      c->RawRespondPermission(request.id,
                              R"({"outcome":{"outcome":"cancelled"}})")
          .IgnoreError();
    });
  }
  // Otherwise no handler: the SDK's answer ("cancelled").

  if (options.interactive) {
    transcript.Note(absl::StrCat(
        options.resume.empty() ? "session " : "resumed session ", id, " (",
        session->agent, ") on ", options.server,
        "; Ctrl-C cancels a turn, Ctrl-C between turns or Ctrl-D quits"));
  }
  g_interrupted = false;
  std::string line;
  while (true) {
    if (options.interactive) transcript.PromptMarker();
    if (!ReadLine(in, &line)) {
      if (g_interrupted && options.interactive) out << "\n";
      break;  // End of input, or Ctrl-C between turns.
    }
    if (g_interrupted) break;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (absl::StartsWith(line, "/mode ")) {
      absl::StatusOr<std::string> set = c->SetMode(
          id, absl::StripAsciiWhitespace(absl::string_view(line).substr(6)));
      if (!set.ok()) {
        err << "sessionlog chat: " << set.status().message() << "\n";
      } else if (options.interactive) {
        transcript.Note(absl::StrCat("[mode set: ", line.substr(6), "]"));
      }
      continue;
    }
    nlohmann::json blocks =
        nlohmann::json::array({{{"type", "text"}, {"text", line}}});
    std::string blocks_json;
    try {
      blocks_json = blocks.dump();
    } catch (const nlohmann::json::exception&) {
      err << "sessionlog chat: the line is not valid UTF-8; skipped\n";
      continue;
    }
    std::shared_future<absl::StatusOr<PromptResult>> turn =
        c->PromptAsync(id, blocks_json);
    bool cancelled = false;
    while (turn.wait_for(std::chrono::milliseconds(50)) !=
           std::future_status::ready) {
      if (g_interrupted.exchange(false) && !cancelled) {
        cancelled = true;
        absl::Status s = c->Cancel(id);
        if (!s.ok()) err << "sessionlog chat: cancel: " << s.message() << "\n";
      }
    }
    g_interrupted = false;
    const absl::StatusOr<PromptResult>& result = turn.get();
    if (!result.ok()) {
      transcript.EndTurn("");
      err << "sessionlog chat: " << result.status().message() << "\n";
      continue;
    }
    transcript.EndTurn(result->stop_reason);
  }
  return absl::OkStatus();
}

}  // namespace cli
}  // namespace sessionlog
