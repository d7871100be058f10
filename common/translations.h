// The language a program speaks to a person: Spanish (es_AR) or English, the source language.
// Chosen by `--lang es|en`, else a remembered setting (the GUI's), else the system locale
// (LANGUAGE / LC_ALL / LC_MESSAGES / LANG through QLocale::system()). Log lines are an interface
// and never translated; only what a person reads is.
#pragma once

#include <QString>
#include <QStringList>

#include <optional>

class QCoreApplication;

namespace lottery {

enum class Language { English, Spanish };

// "es", "es_AR", "es-AR", "spanish" -> Spanish; "en", "en_US", "C", "POSIX" -> English.
std::optional<Language> parseLanguage(const QString &text);
QString languageCode(Language language); // "es" or "en"

// The value of `--lang X` or `--lang=X` in `arguments`, read before the real command-line
// parser runs (its help text must already be translated). Empty when absent.
QString languageArgument(const QStringList &arguments);

// The system locale's language, English unless it is Spanish.
Language systemLanguage();

// Installs the program's translations for `language` from the Qt resource
// ":/i18n/<catalog>_es_AR.qm" and Qt's own (qtbase_es.qm from QLibraryInfo's TranslationsPath)
// so standard dialogs and QCommandLineParser speak it too; the program's catalogs are installed
// last, so they are asked first and may reword one of Qt's. English installs nothing. Returns
// false when a catalog is missing (the program then falls back to English).
bool installTranslations(Language language, const QStringList &catalogs);

} // namespace lottery
