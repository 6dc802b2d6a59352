import { PRODUCT_SORTS, productSearchQuerySchema } from './catalog';

const issuesOf = (query: unknown) => {
  const result = productSearchQuerySchema.safeParse(query);
  // An unknown key is reported on the object with the keys in a list (ZodValidationPipe names each one).
  return result.success
    ? null
    : result.error.issues.map((issue) =>
        issue.code === 'unrecognized_keys' ? { unknown: issue.keys } : { path: issue.path.join('.'), message: issue.message },
      );
};

describe('productSearchQuerySchema', () => {
  it.each([
    ['no parameters: the featured (sku) order', {}, { q: undefined, sort: 'featured' }],
    ['a search: by relevance', { q: 'mug' }, { q: 'mug', sort: 'relevance' }],
    ['a search, trimmed and NFC-normalised', { q: '  cafe\u0301 mug ' }, { q: 'caf\u00e9 mug', sort: 'relevance' }],
    ['a search with a sort', { q: 'cotton', sort: 'price-desc' }, { q: 'cotton', sort: 'price-desc' }],
    ['a sort without a search', { sort: 'name-asc' }, { q: undefined, sort: 'name-asc' }],
    ['an empty q= (a cleared search box) is no search', { q: '' }, { q: undefined, sort: 'featured' }],
    ['a q= of spaces is no search', { q: '   ' }, { q: undefined, sort: 'featured' }],
    ['an empty sort= is the default sort', { q: 'mug', sort: '' }, { q: 'mug', sort: 'relevance' }],
    ['websearch syntax is passed through as typed', { q: '"cotton tee" -socks or mug' }, { q: '"cotton tee" -socks or mug', sort: 'relevance' }],
    ['exactly 100 characters', { q: 'm'.repeat(100) }, { q: 'm'.repeat(100), sort: 'relevance' }],
  ])('accepts %s', (_case, query, parsed) => {
    expect(productSearchQuerySchema.parse(query)).toEqual(parsed);
  });

  it.each(PRODUCT_SORTS.filter((sort) => sort !== 'relevance'))('accepts sort=%s with or without a search', (sort) => {
    expect(productSearchQuerySchema.parse({ sort })).toEqual({ q: undefined, sort });
    expect(productSearchQuerySchema.parse({ q: 'mug', sort })).toEqual({ q: 'mug', sort });
  });

  it.each([
    ['q over 100 characters', { q: 'm'.repeat(101) }, [{ path: 'q', message: 'must be at most 100 characters' }]],
    ['q of zero-width spaces', { q: '\u200b\u200b' }, [{ path: 'q', message: 'must contain visible characters, not only spaces or invisible ones' }]],
    ['q with a NUL', { q: 'mug\u0000' }, [{ path: 'q', message: expect.stringMatching(/control characters/) }]],
    ['q given twice (an array)', { q: ['mug', 'tee'] }, [{ path: 'q', message: 'must be text' }]],
    ['an unknown sort', { sort: 'cheapest' }, [{ path: 'sort', message: `must be one of ${PRODUCT_SORTS.join(', ')}` }]],
    ['sort given twice (an array)', { q: 'mug', sort: ['name-asc', 'price-asc'] }, [{ path: 'sort', message: `must be one of ${PRODUCT_SORTS.join(', ')}` }]],
    ['relevance without a search', { sort: 'relevance' }, [{ path: 'sort', message: 'relevance needs a search (q)' }]],
    ['relevance with an empty search', { q: ' ', sort: 'relevance' }, [{ path: 'sort', message: 'relevance needs a search (q)' }]],
    ['unknown parameters', { q: 'mug', page: '2', email: 'a@b.co' }, [{ unknown: ['page', 'email'] }]],
  ])('refuses %s, naming the field', (_case, query, issues) => {
    expect(issuesOf(query)).toEqual(issues);
  });
});
