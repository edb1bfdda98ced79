// The client's ids are the drivers' (api/internal/uuid.h); this header keeps
// the client's includes as they were.

#ifndef SESSIONLOG_API_CLIENT_UUID_H_
#define SESSIONLOG_API_CLIENT_UUID_H_

#include "api/internal/uuid.h"

#endif  // SESSIONLOG_API_CLIENT_UUID_H_
