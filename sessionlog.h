// sessionlog: the session history of sandbox-agent sessions, stored in C++.
//
// This is the front door. A service includes this one header (installed as
// <sessionlog/sessionlog.h>) and gets:
//
//   api/session.h      SessionRecord and SessionEvent, the records the
//                      sandbox-agent SDK stores, with the SDK's field names;
//   api/options.h      DriverOptions: limits, durability, read-only opens;
//   api/page.h         paged listing: requests, pages, opaque cursors;
//   api/driver.h       SessionPersistDriver, the contract every backend keeps
//                      (start here: its comments are the whole contract);
//   engine/open.h      Open(uri): a driver for "rocksdb:PATH" (the embedded
//                      default), "sqlite:FILE", "postgresql://..." or
//                      "memory:";
//   schema/replay.h    the replay text a restored session gets, byte for byte
//                      as the SDK builds it;
//   api/client/client.h  the client that runs sessions on a sandbox-agent
//                      server and stores every envelope through a driver.
//
// A first program:
//
//   absl::StatusOr<std::unique_ptr<sessionlog::SessionPersistDriver>> store =
//       sessionlog::Open("rocksdb:/var/lib/myservice/sessions");
//   if (!store.ok()) return store.status();
//   ... (*store)->UpdateSession(record); (*store)->InsertEvent(event);
//   ... sessionlog::ReplayTextForSession(**store, record.id);
//
// Errors are absl::Status everywhere; no exception crosses this API. Every
// driver is safe to use from many threads at once.

#ifndef SESSIONLOG_SESSIONLOG_H_
#define SESSIONLOG_SESSIONLOG_H_

#include "api/client/client.h"
#include "api/driver.h"
#include "api/options.h"
#include "api/page.h"
#include "api/session.h"
#include "engine/open.h"
#include "schema/replay.h"
#include "version.h"

#endif  // SESSIONLOG_SESSIONLOG_H_
