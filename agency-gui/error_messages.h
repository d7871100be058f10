// What the user reads when an upload fails: one place mapping each failure kind and each server
// error code to a title and an explanation (translatable; the technical detail is shown beside
// it). Never derived from the error's text.
#pragma once

#include "lottery/agency/upload_error.h"

#include <QString>

namespace lottery::gui {

struct UserMessage {
    QString title; // short: "Server unreachable"
    QString explanation; // what happened and what to do, in the user's terms
};

UserMessage userMessageFor(const agency::UploadError &error);
// The server's code alone (ERROR or REJECT), as userMessageFor() words it.
UserMessage userMessageFor(protocol::ErrorCode code);

} // namespace lottery::gui
