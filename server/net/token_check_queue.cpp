#include "server/net/token_check_queue.h"

#include <algorithm>

namespace lottery::server {

TokenCheckQueue::TokenCheckQueue(PoolDispatcher &workers, Limits limits)
    : m_workers(workers), m_limits(limits)
{
}

bool TokenCheckQueue::submit(quint64 session, const QString &peer, quint32 agency, QByteArray token)
{
    int &fromAddress = m_pendingByAddress[peer];
    if (pending() >= m_limits.maxPending || fromAddress >= m_limits.maxPendingPerAddress) {
        if (fromAddress == 0)
            m_pendingByAddress.remove(peer);
        return false;
    }
    ++fromAddress;
    std::deque<Check> &queue = m_byAddress[peer];
    if (queue.empty())
        m_turns.push_back(peer);
    queue.push_back(Check {session, agency, peer, std::move(token)});
    ++m_waiting;
    startChecks();
    return true;
}

void TokenCheckQueue::cancel(quint64 session)
{
    for (auto it = m_byAddress.begin(); it != m_byAddress.end(); ++it) {
        std::deque<Check> &queue = it.value();
        for (auto check = queue.begin(); check != queue.end(); ++check) {
            if (check->session != session)
                continue;
            Outcome outcome {check->session, check->agency, check->peer, Result::Cancelled};
            queue.erase(check);
            --m_waiting;
            if (queue.empty()) {
                const QString address = it.key();
                m_byAddress.erase(it);
                m_turns.erase(std::find(m_turns.begin(), m_turns.end(), address));
            }
            if (--m_pendingByAddress[outcome.peer] == 0)
                m_pendingByAddress.remove(outcome.peer);
            if (m_deliver)
                m_deliver(outcome);
            return;
        }
    }
}

void TokenCheckQueue::clear()
{
    m_byAddress.clear();
    m_turns.clear();
    m_waiting = 0;
    m_pendingByAddress.clear();
}

void TokenCheckQueue::startChecks()
{
    while (m_running < m_limits.threads && !m_turns.empty()) {
        const QString address = m_turns.front();
        m_turns.pop_front();
        auto found = m_byAddress.find(address);
        Check check = std::move(found->front());
        found->pop_front();
        --m_waiting;
        if (found->empty())
            m_byAddress.erase(found);
        else
            m_turns.push_back(address); // its next check after the other addresses' next ones
        ++m_running;
        if (m_isAlive && !m_isAlive(check.session)) {
            // Closed before its turn (the close may not have been handled yet): no work for it.
            finish(Outcome {check.session, check.agency, check.peer, Result::Cancelled});
            continue;
        }
        const CredentialStore *store = m_store;
        Outcome outcome {check.session, check.agency, check.peer, Result::WrongToken};
        m_workers.run(
            [store, agency = check.agency, token = std::move(check.token)] {
                if (token.isEmpty())
                    return Result::MissingToken;
                return store && store->verify(agency, token) ? Result::Accepted
                                                             : Result::WrongToken;
            },
            [this, outcome](Result result) {
                Outcome checked = outcome;
                checked.result = result;
                finish(checked);
                startChecks();
            });
    }
}

void TokenCheckQueue::finish(const Outcome &outcome)
{
    --m_running;
    auto fromAddress = m_pendingByAddress.find(outcome.peer);
    if (fromAddress != m_pendingByAddress.end() && --*fromAddress <= 0)
        m_pendingByAddress.erase(fromAddress);
    if (m_deliver)
        m_deliver(outcome);
}

} // namespace lottery::server
