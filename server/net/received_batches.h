// Consecutive BATCH frames of one session on their way to a worker task.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lottery::server {

// The bytes the session read (its read buffer, handed over rather than copied) and where each
// BATCH body lies in them, in the order received.
struct ReceivedBatches {
    std::string bytes;
    std::vector<std::pair<std::size_t, std::size_t>> bodies; // offset and size in `bytes`
    // The agency sent DONE right behind these batches (without waiting for their ACKs): it is
    // recorded in the same job if, and only if, every one of them is acknowledged.
    bool doneFollows = false;

    std::vector<std::string_view> views() const
    {
        std::vector<std::string_view> views;
        views.reserve(bodies.size());
        for (const auto &[offset, size] : bodies)
            views.push_back(std::string_view(bytes).substr(offset, size));
        return views;
    }
};

} // namespace lottery::server
