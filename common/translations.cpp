#include "translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

namespace lottery {

std::optional<Language> parseLanguage(const QString &text)
{
    const QString code = text.trimmed().toLower();
    if (code.isEmpty())
        return std::nullopt;
    if (code == QLatin1String("c") || code == QLatin1String("posix"))
        return Language::English;
    const QString base = code.section(QLatin1Char('_'), 0, 0).section(QLatin1Char('-'), 0, 0);
    if (base == QLatin1String("es") || base == QLatin1String("spanish")
        || base == QLatin1String("espanol") || base == QString::fromUtf8("español"))
        return Language::Spanish;
    if (base == QLatin1String("en") || base == QLatin1String("english"))
        return Language::English;
    return std::nullopt;
}

QString languageCode(Language language)
{
    return language == Language::Spanish ? QStringLiteral("es") : QStringLiteral("en");
}

QString languageArgument(const QStringList &arguments)
{
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString &argument = arguments.at(i);
        if (argument == QLatin1String("--"))
            break;
        if (argument == QLatin1String("--lang") || argument == QLatin1String("-lang"))
            return i + 1 < arguments.size() ? arguments.at(i + 1) : QString();
        for (const QLatin1String prefix : {QLatin1String("--lang="), QLatin1String("-lang=")}) {
            if (argument.startsWith(prefix))
                return argument.mid(prefix.size());
        }
    }
    return {};
}

Language systemLanguage()
{
    // uiLanguages() honours LANGUAGE (a list) before LC_ALL/LC_MESSAGES/LANG: the first
    // language we speak wins, so LANGUAGE=fr:es gives Spanish.
    for (const QString &name : QLocale::system().uiLanguages()) {
        if (const auto language = parseLanguage(name))
            return *language;
    }
    return Language::English;
}

bool installTranslations(Language language, const QStringList &catalogs)
{
    if (language == Language::English)
        return true; // the source strings are English
    // Numbers and dates the way a Spanish reader expects them, even on an English system.
    if (QLocale().language() != QLocale::Spanish)
        QLocale::setDefault(QLocale(QLocale::Spanish, QLocale::Argentina));
    auto *app = QCoreApplication::instance();
    // Qt's own strings (QCommandLineParser's errors and help, the file dialog, the buttons of
    // message boxes): Debian's qt6-translations-l10n ships qtbase_es.qm. Installed first: the
    // last installed translator is asked first, so a program's catalog may override a word of
    // Qt's (agency-gui says "archivo" where qtbase_es says "fichero").
    auto *qtTranslator = new QTranslator(app);
    if (qtTranslator->load(QLocale(QLocale::Spanish, QLocale::Argentina), QStringLiteral("qtbase"),
            QStringLiteral("_"), QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qtTranslator);
    else
        delete qtTranslator;
    bool allLoaded = true;
    for (const QString &catalog : catalogs) {
        auto *translator = new QTranslator(app);
        if (translator->load(QStringLiteral(":/i18n/%1_es_AR.qm").arg(catalog))) {
            QCoreApplication::installTranslator(translator);
        } else {
            allLoaded = false;
            delete translator;
        }
    }
    return allLoaded;
}

} // namespace lottery
