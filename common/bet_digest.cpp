#include "common/bet_digest.h"

#include "lottery/protocol/codec.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace lottery {

struct RunningDigest::State {
    EVP_MD_CTX *context = nullptr;
    State() : context(EVP_MD_CTX_new())
    {
        if (!context || EVP_DigestInit_ex(context, EVP_sha256(), nullptr) != 1)
            throw std::runtime_error("SHA-256 is not available");
    }
    State(const State &other) : context(EVP_MD_CTX_new())
    {
        if (!context || EVP_MD_CTX_copy_ex(context, other.context) != 1)
            throw std::runtime_error("cannot copy a SHA-256 state");
    }
    State &operator=(const State &) = delete;
    ~State() { EVP_MD_CTX_free(context); }
};

RunningDigest::RunningDigest() : m_state(std::make_unique<State>()) { }
RunningDigest::~RunningDigest() = default;
RunningDigest::RunningDigest(const RunningDigest &other)
    : m_state(std::make_unique<State>(*other.m_state)), m_bets(other.m_bets)
{
}
RunningDigest &RunningDigest::operator=(const RunningDigest &other)
{
    if (this != &other) {
        m_state = std::make_unique<State>(*other.m_state);
        m_bets = other.m_bets;
    }
    return *this;
}
RunningDigest::RunningDigest(RunningDigest &&other) noexcept
    : m_state(std::move(other.m_state)), m_bets(other.m_bets)
{
    other.m_state = nullptr;
}
RunningDigest &RunningDigest::operator=(RunningDigest &&other) noexcept
{
    m_state = std::move(other.m_state);
    m_bets = other.m_bets;
    return *this;
}

void RunningDigest::addEncodedBets(std::string_view bytes)
{
    if (!m_state)
        m_state = std::make_unique<State>(); // a moved-from digest starts again, empty
    EVP_DigestUpdate(m_state->context, bytes.data(), bytes.size());
}

void RunningDigest::addBet(const protocol::BetView &bet)
{
    // One buffer per thread, reused: no allocation per bet.
    thread_local std::string encoded;
    encoded.clear();
    protocol::detail::appendBet(encoded, bet);
    addEncodedBets(encoded);
    ++m_bets;
}

protocol::Digest RunningDigest::current() const
{
    protocol::Digest digest {};
    if (!m_state)
        return sha256Of({});
    State copy(*m_state);
    unsigned int size = 0;
    EVP_DigestFinal_ex(copy.context, digest.data(), &size);
    return digest;
}

protocol::Digest sha256Of(std::string_view bytes)
{
    protocol::Digest digest {};
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr);
    return digest;
}

QString digestHex(const protocol::Digest &digest)
{
    return QString::fromLatin1(
        QByteArray(reinterpret_cast<const char *>(digest.data()), int(digest.size())).toHex());
}

bool parseDigestHex(QStringView text, protocol::Digest *digest)
{
    if (text.size() != int(digest->size()) * 2)
        return false;
    for (QChar c : text) {
        if (!c.isDigit() && !(c.toLower() >= u'a' && c.toLower() <= u'f'))
            return false;
    }
    const QByteArray bytes = QByteArray::fromHex(text.toLatin1());
    std::copy(bytes.begin(), bytes.end(), digest->begin());
    return true;
}

} // namespace lottery
