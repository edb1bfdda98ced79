// A progress bar with rate and ETA, drawn on stderr only when stderr is a
// terminal, so that logs and pipes never see it.
//
//   import  [##########..........]  52%  3.1/6.0 MiB  1.2 MiB/s  ETA 0:03
//
// When the total is unknown (0), it shows the count, the rate and the elapsed
// time instead of a bar. Not thread-safe: one thread drives one bar.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_PROGRESS_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_PROGRESS_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "absl/time/time.h"

namespace sessionlog {
namespace cli {

class ProgressBar {
 public:
  enum class Unit { kItems, kBytes };

  // Draws on `out` only when `enabled`; `label` names the work ("import").
  ProgressBar(std::ostream& out, bool enabled, std::string label, int64_t total,
              Unit unit, std::string item_name = "");
  ~ProgressBar();  // Finish()es.

  void set_total(int64_t total) { total_ = total; }
  // Sets the amount done; redraws at most ten times a second.
  void Update(int64_t done);
  void Add(int64_t delta) { Update(done_ + delta); }
  // Draws the final state and ends the line. Idempotent.
  void Finish();

  // One rendering of the bar, for tests: `elapsed` since the start.
  std::string Render(absl::Duration elapsed) const;

 private:
  void Draw();
  std::string Amount(double value) const;

  std::ostream& out_;
  const bool enabled_;
  const std::string label_;
  int64_t total_;
  const Unit unit_;
  const std::string item_name_;
  int64_t done_ = 0;
  absl::Time start_;
  absl::Time last_draw_ = absl::InfinitePast();
  bool finished_ = false;
  size_t last_width_ = 0;
};

// Runs `work`, one blocking call with no progress of its own, on a worker
// thread, and meanwhile shows on `out` (when `enabled`) that it is alive:
// "label  working  elapsed 0:07". Returns when `work` has.
void RunShowingElapsed(std::ostream& out, bool enabled,
                       const std::string& label,
                       const std::function<void()>& work);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_PROGRESS_H_
