#include "bench/compare/report_limits.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/compare/report_results.h"

namespace sessionlog::bench {

using Json = nlohmann::json;

std::string PhysicalLimitSection(const Json& all) {
  if (!all["results"].contains("standard")) return "";
  const double disk = all["machine"].value("disk_seq_write_bytes_per_s", 0.0);
  std::string md = absl::StrCat(
      "## Distance to the physical limit (default workload)\n\n",
      disk > 0 ? absl::StrCat("The disk's sequential write bandwidth, measured "
                              "in this run (a plain file, 1 MiB writes, one "
                              "fdatasync): ",
                              Mb(disk), " MB/s.")
               : "The disk's sequential write bandwidth was not measured.",
      " Bytes written are what each peer's process sent toward the disk during "
      "its appends (/proc/self/io, so WAL, flushes and compactions; a "
      "server's writes are not its client's), CPU is every thread of the "
      "peer's process.\n\n",
      "| peer | appends/s | bytes written per append | MB/s written | "
      "of the disk's bandwidth | CPU µs per append | appends/s per core at "
      "that CPU |\n|---|---|---|---|---|---|---|\n");
  for (const std::string& peer : PeersOf(all, "standard")) {
    const Json* r = Result(all, "standard", peer);
    if (r == nullptr || !r->contains("append_cpu_us")) continue;
    const double rate = Field(r, "appends_per_s");
    const double cpu = Field(r, "append_cpu_us");
    const bool has_bytes = r->contains("append_write_bytes");
    const double bytes = Field(r, "append_write_bytes");
    const double written = rate * bytes;
    absl::StrAppend(
        &md, "| ", peer, " | ", Rate(rate), " | ",
        has_bytes ? absl::StrFormat("%.0f", bytes) : "—", " | ",
        has_bytes ? Mb(written) : "—", " | ",
        has_bytes && disk > 0 ? absl::StrFormat("%.1f%%", 100 * written / disk)
                              : "—",
        " | ", Micros(cpu), " | ", cpu > 0 ? Rate(1e6 / cpu) : "—", " |\n");
  }
  const double engine =
      Field(Result(all, "standard", "sessionlog-rocksdb"), "append_cpu_us");
  const double raw =
      Field(Result(all, "standard", "raw-rocksdb"), "append_cpu_us");
  if (engine > 0 && raw > 0) {
    absl::StrAppend(
        &md,
        absl::StrFormat(
            "\nCPU per append, sessionlog-rocksdb: %.2f µs, of which RocksDB "
            "(raw-rocksdb's Puts of the same bytes, encoding included) %.2f µs "
            "(%.0f%%) and the engine's own work %.2f µs (%.0f%%).\n",
            engine, raw, 100 * raw / engine, engine - raw,
            100 * (engine - raw) / engine));
  }
  return absl::StrCat(md, "\n");
}

}  // namespace sessionlog::bench
