"""Reference data: languages, countries, legislative areas, professions."""
