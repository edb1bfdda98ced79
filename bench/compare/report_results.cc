#include "bench/compare/report_results.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "bench/peer.h"

namespace sessionlog::bench {

using Json = nlohmann::json;

std::string Human(double v) {
  const char* suffix = "";
  if (v >= 1e9) {
    v /= 1e9, suffix = "G";
  } else if (v >= 1e6) {
    v /= 1e6, suffix = "M";
  } else if (v >= 1e4) {
    v /= 1e3, suffix = "k";
  }
  if (v >= 100 || (*suffix == '\0' && v == static_cast<int64_t>(v))) {
    return absl::StrFormat("%.0f%s", v, suffix);
  }
  if (v >= 10) return absl::StrFormat("%.1f%s", v, suffix);
  return absl::StrFormat("%.2f%s", v, suffix);
}

std::string Mb(double bytes) { return absl::StrFormat("%.1f", bytes / 1e6); }

const Json* Result(const Json& all, const std::string& phase,
                   const std::string& peer) {
  const Json& results = all["results"];
  if (!results.contains(phase) || !results[phase].contains(peer))
    return nullptr;
  const Json& answer = results[phase][peer];
  if (!answer.value("ok", false)) return nullptr;
  return &answer["result"];
}

double Field(const Json* result, const std::string& field) {
  if (result == nullptr || !result->contains(field)) return 0;
  return (*result)[field].get<double>();
}

const Json* Point(const Json* result, const std::string& key, int64_t value) {
  if (result == nullptr || !result->contains("points")) return nullptr;
  for (const Json& p : (*result)["points"]) {
    if (p[key].get<int64_t>() == value) return &p;
  }
  return nullptr;
}

std::vector<std::string> PeersOf(const Json& all, const std::string& phase) {
  auto rank = [](const std::string& peer) {
    const std::vector<std::string>& order = AllPeerNames();
    return std::find(order.begin(), order.end(), peer) - order.begin();
  };
  std::vector<std::string> peers;
  if (all["results"].contains(phase)) {
    for (auto& [peer, answer] : all["results"][phase].items()) {
      peers.push_back(peer);
    }
  }
  std::stable_sort(peers.begin(), peers.end(),
                   [&](const std::string& a, const std::string& b) {
                     return rank(a) < rank(b);
                   });
  return peers;
}

std::string Rate(double v) { return v > 0 ? Human(v) : "—"; }
std::string Micros(double v) {
  return v > 0 ? absl::StrFormat("%.1f", v) : "—";
}

std::string Failure(const Json& all, const std::string& phase,
                    const std::string& peer) {
  return all["results"][phase][peer].value("error", std::string("?"));
}

}  // namespace sessionlog::bench
