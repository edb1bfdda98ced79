// Per-operation latencies of one measured phase, and the figures reported
// from them.

#ifndef SESSIONLOG_BENCH_COMPARE_LATENCY_H_
#define SESSIONLOG_BENCH_COMPARE_LATENCY_H_

#include <chrono>
#include <cstdint>
#include <vector>

namespace sessionlog::bench {

class Latencies {
 public:
  using Clock = std::chrono::steady_clock;

  void Reserve(int64_t n) { micros_.reserve(n); }
  void Add(Clock::time_point start, Clock::time_point end) {
    micros_.push_back(
        std::chrono::duration<double, std::micro>(end - start).count());
  }
  void Merge(const Latencies& other) {
    micros_.insert(micros_.end(), other.micros_.begin(), other.micros_.end());
  }
  int64_t count() const { return static_cast<int64_t>(micros_.size()); }

  // The q-quantile (0..1) in microseconds; 0 when empty. Sorts in place.
  double QuantileMicros(double q);

 private:
  std::vector<double> micros_;
};

// Seconds since `start`.
inline double SecondsSince(Latencies::Clock::time_point start) {
  return std::chrono::duration<double>(Latencies::Clock::now() - start).count();
}

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_COMPARE_LATENCY_H_
