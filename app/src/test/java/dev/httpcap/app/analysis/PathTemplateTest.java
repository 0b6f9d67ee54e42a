package dev.httpcap.app.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PathTemplateTest
{
    @Test
    void shouldFoldNumbersUuidsAndHexIds()
    {
        assertEquals("/users/{id}/orders/{id}", PathTemplate.of("/users/42/orders/7f3c9a12"));
        assertEquals("/users/{id}", PathTemplate.of("/users/123e4567-e89b-12d3-a456-426614174000?x=1"));
        assertEquals("/v1/items/{id}/", PathTemplate.of("/v1/items/00000000/"));
        assertEquals("/api/{id}", PathTemplate.of("/api/DEADBEEF0123"));
    }

    @Test
    void shouldKeepWordsVersionsAndShortHexWords()
    {
        assertEquals("/index.html", PathTemplate.of("/index.html"));
        assertEquals("/v2/cafe/facade", PathTemplate.of("/v2/cafe/facade"));
        assertEquals("/deadbeefcafe", PathTemplate.of("/deadbeefcafe"), "hex letters without a digit are a word");
        assertEquals("/search", PathTemplate.of("/search?q=42"));
        assertEquals("/", PathTemplate.of(""));
        assertEquals("/", PathTemplate.of(null));
        assertEquals("*", PathTemplate.of("*"));
    }
}
