#include "server/pipeline/stored_list_queue.h"

#include <utility>

namespace lottery::server {

bool StoredListQueue::submit(quint32 agency, quint64 from, quint32 count, Deliver deliver)
{
    Listing listing {agency, from, count, std::move(deliver)};
    if (m_running >= kMaxRunning) {
        m_waiting.push_back(std::move(listing));
        return false;
    }
    start(std::move(listing));
    return true;
}

void StoredListQueue::start(Listing listing)
{
    ++m_running;
    BetStore *store = m_store;
    const quint32 agency = listing.agency;
    const quint64 from = listing.from;
    const quint32 count = listing.count;
    m_workers.run(
        [store, agency, from, count] {
            Result result;
            result.ok
                = store && store->readStoredBets(agency, from, count, &result.bets, &result.error);
            if (!store)
                result.error = QStringLiteral("storage is not open");
            return result;
        },
        [this, deliver = std::move(listing.deliver)](Result &&result) {
            --m_running;
            deliver(std::move(result));
            if (!m_waiting.empty() && m_running < kMaxRunning) {
                Listing next = std::move(m_waiting.front());
                m_waiting.pop_front();
                start(std::move(next));
            }
        });
}

} // namespace lottery::server
