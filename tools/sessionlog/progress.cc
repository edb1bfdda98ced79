#include "tools/sessionlog/progress.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "tools/sessionlog/output.h"

namespace sessionlog {
namespace cli {
namespace {

constexpr int kBarWidth = 24;

std::string Clock(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s >= 3600) {
    return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  }
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

}  // namespace

ProgressBar::ProgressBar(std::ostream& out, bool enabled, std::string label,
                         int64_t total, Unit unit, std::string item_name)
    : out_(out),
      enabled_(enabled),
      label_(std::move(label)),
      total_(total),
      unit_(unit),
      item_name_(std::move(item_name)),
      start_(absl::Now()) {}

ProgressBar::~ProgressBar() { Finish(); }

std::string ProgressBar::Amount(double value) const {
  if (unit_ == Unit::kBytes) return FormatBytes(static_cast<int64_t>(value));
  return FormatCount(static_cast<int64_t>(value));
}

std::string ProgressBar::Render(absl::Duration elapsed) const {
  double seconds = std::max(absl::ToDoubleSeconds(elapsed), 1e-3);
  double rate = done_ / seconds;
  std::string rate_text = absl::StrCat(
      Amount(rate), item_name_.empty() ? "" : " ", item_name_, "/s");
  if (total_ <= 0 && done_ == 0) {  // Nothing to count: just show life.
    return absl::StrCat(label_, "  working  elapsed ", Clock(elapsed));
  }
  if (total_ <= 0) {
    return absl::StrCat(label_, "  ", Amount(done_),
                        item_name_.empty() ? "" : " ", item_name_, "  ",
                        rate_text, "  elapsed ", Clock(elapsed));
  }
  double fraction = std::min(1.0, static_cast<double>(done_) / total_);
  int filled = static_cast<int>(fraction * kBarWidth);
  std::string bar = absl::StrCat("[", std::string(filled, '#'),
                                 std::string(kBarWidth - filled, '.'), "]");
  std::string eta = "--:--";
  if (rate > 0 && done_ <= total_) {
    eta = Clock(absl::Seconds((total_ - done_) / rate));
  }
  return absl::StrFormat("%s  %s %3d%%  %s/%s  %s  ETA %s", label_, bar,
                         static_cast<int>(fraction * 100), Amount(done_),
                         Amount(total_), rate_text, eta);
}

void ProgressBar::Draw() {
  std::string line = Render(absl::Now() - start_);
  size_t width = DisplayWidth(line);
  // Blank out what a longer previous line left behind.
  std::string pad(last_width_ > width ? last_width_ - width : 0, ' ');
  out_ << "\r" << line << pad << std::flush;
  last_width_ = width;
}

void ProgressBar::Update(int64_t done) {
  done_ = done;
  if (!enabled_ || finished_) return;
  absl::Time now = absl::Now();
  if (now - last_draw_ < absl::Milliseconds(100)) return;
  last_draw_ = now;
  Draw();
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  Draw();
  out_ << "\n" << std::flush;
}

void RunShowingElapsed(std::ostream& out, bool enabled,
                       const std::string& label,
                       const std::function<void()>& work) {
  absl::Notification done;
  std::thread worker([&] {
    work();
    done.Notify();
  });
  {
    ProgressBar progress(out, enabled, label, 0, ProgressBar::Unit::kBytes);
    while (!done.WaitForNotificationWithTimeout(absl::Milliseconds(200))) {
      progress.Update(0);
    }
  }
  worker.join();
}

}  // namespace cli
}  // namespace sessionlog
