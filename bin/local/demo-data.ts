/**
 * Demo catalogue, users and interactions seeded by the local runtime on first `npm start`
 * (the local runtime). Pure: no I/O, no clock unless `now` is omitted, and the same
 * `(seed, users, now)` always gives the same data, so a demo can be reproduced and tested.
 *
 * The data is built so that the engine's behaviour is visible by eye:
 * - every user has a taste (1–3 categories and a price band) and acts mostly inside it;
 * - users `1` (shoes + hats, pricier) and `2` (dresses + skirts, 6,000–19,000) differ clearly;
 * - gift orders (`receiverId`) follow the receiver's taste, so they count for the receiver;
 * - every category has ≥ 18 active products in the seed's example range 5,000.01–20,000.2,
 *   ≥ 7 of them promoted, and the range's exact bounds appear as prices (inclusive-bound checks).
 * Photos: `demo/images/<label>/<uuid>.jpg` (CC0, see its README); names, colours and materials are
 * generated, not read from the photo.
 */
import type { EventType, InteractionEvent, Product, ProductStatus, UserProfile } from '../../functions/core/domain/types.js';
import type { CatalogStore, InteractionStore, UserStore } from '../../functions/core/domain/ports.js';
import { mulberry32, shuffle } from '../../functions/core/numeric/prng.js';
import { imageKey } from '../../functions/core/domain/product-images.js';

/** Currency of the demo catalogue (CLP-like magnitudes, as in the seed's example query). */
export const DEMO_CURRENCY = 'CLP';
export const DEMO_PRICE_MIN = 1_000;
export const DEMO_PRICE_MAX = 100_000;
/** The seed's example budget (`?min_price=5000.01&max_price=20000.2`); inclusive bounds. */
export const DEMO_QUERY_RANGE = { min: 5_000.01, max: 20_000.2 } as const;
export const DEMO_DEFAULT_SEED = 20_240_601;
export const DEMO_DEFAULT_USERS = 300;
/** Countries users live in; products are sold everywhere (`countries: []`) or in a few of these. */
export const DEMO_COUNTRIES = ['CL', 'AR', 'ES', 'MX'] as const;
/** Folder of the photos, relative to the repository root. */
export const DEMO_IMAGES_DIR = 'demo/images';
export const DEMO_CATEGORIES = [
  'dress', 'hat', 'longsleeve', 'outwear', 'pants', 'shirt', 'shoes', 'shorts', 'skirt', 't-shirt',
] as const;
export type DemoCategory = (typeof DEMO_CATEGORIES)[number];

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Products were created over this many days before `now`. */
export const DEMO_CATALOG_DAYS = 180;
/** Events happened over this many days before `now`. */
export const DEMO_EVENT_DAYS = 90;

/** What a demo user likes: the generator draws their events mostly from this. */
export interface UserTaste {
  categories: DemoCategory[];
  priceMin: number;
  priceMax: number;
}

export interface DemoData {
  products: Product[];
  users: UserProfile[];
  /** Sorted by timestamp; `eventId` = `demo-<n>` in that order. */
  events: InteractionEvent[];
  /** One photo per product; `file` is relative to the repository root, the S3 key is `product.images[0]`. */
  images: { productId: string; file: string }[];
  /** Each user's generated taste (for demos and tests; not stored by the engine). */
  tastes: Record<string, UserTaste>;
}

export interface DemoOptions {
  /** RNG seed (default {@link DEMO_DEFAULT_SEED}). */
  seed?: number;
  /** Number of users, ids `'1'`…`'n'` (default {@link DEMO_DEFAULT_USERS}, at least 2). */
  users?: number;
  /** Reference time in epoch ms (default `Date.now()`); every timestamp is at or before it. */
  now?: number;
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  /** Index drawn with probability proportional to `weights` (all ≥ 0, sum > 0). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
  shuffle<T>(xs: readonly T[]): T[] {
    const out = xs.slice();
    shuffle(out, this.next);
    return out;
  }
  /** `k` distinct elements, in random order. */
  sample<T>(xs: readonly T[], k: number): T[] {
    return this.shuffle(xs).slice(0, k);
  }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary. Spanish adjectives agree with the noun: forms are [masc. sing., fem. sing.,
// masc. pl., fem. pl.]; styles are written already agreed with their noun.

type Agreement = 0 | 1 | 2 | 3;
interface Colour {
  en: string;
  es: readonly [string, string, string, string];
}
const inv = (s: string, pl = s): readonly [string, string, string, string] => [s, s, pl, pl];
const agr = (stem: string): readonly [string, string, string, string] =>
  [`${stem}o`, `${stem}a`, `${stem}os`, `${stem}as`];

const COLOURS: readonly Colour[] = [
  { en: 'black', es: agr('negr') },
  { en: 'white', es: agr('blanc') },
  { en: 'red', es: agr('roj') },
  { en: 'blue', es: inv('azul', 'azules') },
  { en: 'navy', es: inv('azul marino') },
  { en: 'green', es: inv('verde', 'verdes') },
  { en: 'olive', es: inv('verde oliva') },
  { en: 'grey', es: inv('gris', 'grises') },
  { en: 'beige', es: inv('beige') },
  { en: 'brown', es: inv('marrón', 'marrones') },
  { en: 'pink', es: inv('rosa') },
  { en: 'yellow', es: agr('amarill') },
  { en: 'burgundy', es: inv('burdeos') },
  { en: 'cream', es: inv('crema') },
  { en: 'purple', es: agr('morad') },
];

const PATTERNS: readonly { en: string; es: readonly [string, string, string, string] }[] = [
  { en: 'floral', es: inv('floral', 'florales') },
  { en: 'printed', es: agr('estampad') },
  { en: 'plain', es: agr('lis') },
  { en: 'embroidered', es: agr('bordad') },
  { en: 'striped', es: inv('a rayas') },
  { en: 'polka-dot', es: inv('de lunares') },
  { en: 'checked', es: inv('de cuadros') },
];

const MATERIALS: Record<string, string> = {
  cotton: 'algodón',
  'organic cotton': 'algodón orgánico',
  linen: 'lino',
  leather: 'cuero',
  wool: 'lana',
  denim: 'mezclilla',
  silk: 'seda',
  polyester: 'poliéster',
  knit: 'punto',
  suede: 'gamuza',
  canvas: 'lona',
  corduroy: 'pana',
  fleece: 'polar',
  straw: 'paja',
  flannel: 'franela',
  nylon: 'nailon',
};

interface NounEs {
  noun: string;
  agree: Agreement;
  styles: readonly string[];
}
interface NounEn {
  noun: string;
  styles: readonly string[];
}
interface CategoryVocab {
  es: readonly NounEs[];
  en: readonly NounEn[];
  materials: readonly (keyof typeof MATERIALS)[];
}

const VOCAB: Record<DemoCategory, CategoryVocab> = {
  dress: {
    es: [{ noun: 'Vestido', agree: 0, styles: ['de verano', 'midi', 'largo', 'camisero', 'de fiesta', 'cruzado', 'de tirantes', 'corto'] }],
    en: [{ noun: 'dress', styles: ['summer', 'midi', 'maxi', 'shirt', 'party', 'wrap', 'slip', 'mini'] }],
    materials: ['cotton', 'linen', 'silk', 'knit', 'polyester'],
  },
  hat: {
    es: [
      { noun: 'Gorra', agree: 1, styles: ['de béisbol', 'deportiva', 'clásica', 'de visera plana'] },
      { noun: 'Sombrero', agree: 0, styles: ['de ala ancha', 'panamá', 'de verano', 'clásico'] },
      { noun: 'Gorro', agree: 0, styles: ['de invierno', 'tejido', 'con pompón', 'térmico'] },
    ],
    en: [
      { noun: 'cap', styles: ['baseball', 'sports', 'classic', 'snapback'] },
      { noun: 'hat', styles: ['wide-brim', 'panama', 'sun', 'fedora'] },
      { noun: 'beanie', styles: ['winter', 'knitted', 'pom-pom', 'thermal'] },
    ],
    materials: ['cotton', 'wool', 'leather', 'straw', 'canvas', 'fleece'],
  },
  longsleeve: {
    es: [
      { noun: 'Polera de manga larga', agree: 1, styles: ['básica', 'térmica', 'deportiva', 'ajustada'] },
      { noun: 'Camiseta de manga larga', agree: 1, styles: ['básica', 'térmica', 'deportiva', 'holgada'] },
      { noun: 'Suéter', agree: 0, styles: ['de cuello alto', 'oversize', 'clásico', 'de punto grueso'] },
    ],
    en: [
      { noun: 'long-sleeve tee', styles: ['basic', 'thermal', 'sports', 'slim'] },
      { noun: 'sweater', styles: ['turtleneck', 'oversized', 'classic', 'chunky-knit'] },
    ],
    materials: ['cotton', 'wool', 'knit', 'fleece', 'polyester'],
  },
  outwear: {
    es: [
      { noun: 'Chaqueta', agree: 1, styles: ['acolchada', 'impermeable', 'de entretiempo', 'con capucha'] },
      { noun: 'Abrigo', agree: 0, styles: ['largo', 'de invierno', 'cruzado', 'clásico'] },
      { noun: 'Parka', agree: 1, styles: ['con capucha', 'de invierno', 'impermeable', 'acolchada'] },
      { noun: 'Cortavientos', agree: 0, styles: ['ligero', 'deportivo', 'plegable'] },
    ],
    en: [
      { noun: 'jacket', styles: ['puffer', 'rain', 'light', 'hooded'] },
      { noun: 'coat', styles: ['long', 'winter', 'double-breasted', 'classic'] },
      { noun: 'parka', styles: ['hooded', 'winter', 'waterproof', 'padded'] },
      { noun: 'windbreaker', styles: ['light', 'sports', 'packable'] },
    ],
    materials: ['wool', 'leather', 'denim', 'polyester', 'suede', 'nylon'],
  },
  pants: {
    es: [{ noun: 'Pantalón', agree: 0, styles: ['chino', 'cargo', 'recto', 'de vestir', 'jogger', 'ancho', 'pitillo'] }],
    en: [{ noun: 'trousers', styles: ['chino', 'cargo', 'straight', 'dress', 'jogger', 'wide-leg', 'skinny'] }],
    materials: ['cotton', 'denim', 'linen', 'corduroy', 'wool'],
  },
  shirt: {
    es: [
      { noun: 'Camisa', agree: 1, styles: ['de vestir', 'casual', 'oxford', 'entallada', 'de manga corta', 'hawaiana'] },
      { noun: 'Blusa', agree: 1, styles: ['elegante', 'holgada', 'con volantes', 'de manga corta'] },
    ],
    en: [
      { noun: 'shirt', styles: ['dress', 'casual', 'oxford', 'slim-fit', 'short-sleeve', 'hawaiian'] },
      { noun: 'blouse', styles: ['elegant', 'loose', 'ruffled', 'short-sleeve'] },
    ],
    materials: ['cotton', 'linen', 'silk', 'denim', 'flannel'],
  },
  shoes: {
    es: [
      { noun: 'Zapatillas', agree: 3, styles: ['deportivas', 'urbanas', 'para correr', 'clásicas', 'retro'] },
      { noun: 'Zapatos', agree: 2, styles: ['de vestir', 'clásicos', 'náuticos', 'oxford'] },
      { noun: 'Botines', agree: 2, styles: ['de invierno', 'chelsea', 'con cordones', 'clásicos'] },
      { noun: 'Sandalias', agree: 3, styles: ['de verano', 'planas', 'con plataforma'] },
    ],
    en: [
      { noun: 'sneakers', styles: ['running', 'urban', 'classic', 'retro'] },
      { noun: 'shoes', styles: ['dress', 'classic', 'boat', 'oxford'] },
      { noun: 'boots', styles: ['winter', 'chelsea', 'lace-up', 'ankle'] },
      { noun: 'sandals', styles: ['summer', 'flat', 'platform'] },
    ],
    materials: ['leather', 'suede', 'canvas'],
  },
  shorts: {
    es: [
      { noun: 'Short', agree: 0, styles: ['deportivo', 'de baño', 'cargo', 'de playa'] },
      { noun: 'Bermuda', agree: 1, styles: ['cargo', 'clásica', 'de playa'] },
    ],
    en: [
      { noun: 'shorts', styles: ['sports', 'swim', 'cargo', 'beach'] },
      { noun: 'bermuda shorts', styles: ['cargo', 'classic', 'beach'] },
    ],
    materials: ['cotton', 'denim', 'linen', 'polyester'],
  },
  skirt: {
    es: [
      { noun: 'Falda', agree: 1, styles: ['plisada', 'midi', 'larga', 'de tubo', 'acampanada', 'cruzada'] },
      { noun: 'Minifalda', agree: 1, styles: ['plisada', 'de tablas', 'ajustada'] },
    ],
    en: [
      { noun: 'skirt', styles: ['pleated', 'midi', 'maxi', 'pencil', 'flared', 'wrap'] },
      { noun: 'mini skirt', styles: ['pleated', 'box-pleat', 'fitted'] },
    ],
    materials: ['cotton', 'denim', 'linen', 'silk', 'leather', 'wool', 'corduroy'],
  },
  't-shirt': {
    es: [
      { noun: 'Camiseta', agree: 1, styles: ['básica', 'de manga corta', 'con cuello en V', 'oversize', 'deportiva'] },
      { noun: 'Polera', agree: 1, styles: ['básica', 'de manga corta', 'con cuello redondo', 'oversize', 'deportiva'] },
      { noun: 'Polo', agree: 0, styles: ['clásico', 'de piqué', 'deportivo'] },
    ],
    en: [
      { noun: 't-shirt', styles: ['basic', 'graphic', 'crew-neck', 'v-neck', 'oversized', 'sports'] },
      { noun: 'polo shirt', styles: ['classic', 'piqué', 'sports'] },
    ],
    materials: ['cotton', 'organic cotton', 'linen', 'polyester'],
  },
};

const GIFT_LINES_ES = [
  'Un regalo ideal para cumpleaños.',
  'Perfecto para regalar en Navidad.',
  'Llega en caja de regalo.',
  'Un clásico que nunca falla como regalo.',
  'Ideal para sorprender a alguien especial.',
  'Incluye tarjeta de regalo y cambio sin costo.',
];
const GIFT_LINES_EN = [
  'A great birthday gift.',
  'Perfect for the holidays.',
  'Arrives gift-wrapped.',
  'A classic gift that never fails.',
  'Made to surprise someone special.',
  'Includes a gift card and free exchanges.',
];
const FIT_LINES_ES = ['Fácil de combinar, para todos los días.', 'Corte moderno y mucha comodidad.', 'Tela suave y resistente.', 'Diseño atemporal.'];
const FIT_LINES_EN = ['Comfortable and easy to match.', 'A modern cut for every day.', 'Soft, durable fabric.', 'A timeless design.'];

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

interface Naming {
  name: string;
  description: string;
  colour: string;
  material: string;
  language: 'es' | 'en';
}

/** A gift-like product name and description, Spanish (70%) or English. */
function nameProduct(rng: Rng, category: DemoCategory): Naming {
  const v = VOCAB[category];
  const colour = rng.pick(COLOURS);
  const material = rng.pick(v.materials);
  const pattern = rng.pick(PATTERNS);
  const template = rng.int(0, 3); // 0 style+colour, 1 material+colour, 2 style+pattern, 3 material+pattern
  if (rng.chance(0.7)) {
    const n = rng.pick(v.es);
    const style = rng.pick(n.styles);
    const parts = [n.noun];
    if (template === 0 || template === 2) parts.push(style);
    else parts.push(`de ${MATERIALS[material]}`);
    parts.push(template < 2 ? colour.es[n.agree] : pattern.es[n.agree]);
    const name = parts.join(' ');
    const description =
      `${rng.pick(FIT_LINES_ES)} Material: ${MATERIALS[material]}; color: ${colour.es[0]}. ${rng.pick(GIFT_LINES_ES)}`;
    return { name, description, colour: colour.en, material, language: 'es' };
  }
  const n = rng.pick(v.en);
  const style = rng.pick(n.styles);
  const first = template < 2 ? colour.en : pattern.en;
  const second = template === 0 || template === 2 ? style : material;
  const name = capitalize(`${first} ${second} ${n.noun}`);
  const description =
    `${rng.pick(FIT_LINES_EN)} Material: ${material}; colour: ${colour.en}. ${rng.pick(GIFT_LINES_EN)}`;
  return { name, description, colour: colour.en, material, language: 'en' };
}

// ---------------------------------------------------------------------------------------------
// Catalogue

/** Retail-looking price: ends in 90, sometimes with 50 cents. `v` must leave room below the band top. */
function retailPrice(rng: Rng, v: number): number {
  const base = Math.floor(v / 100) * 100 + 90;
  return rng.chance(0.3) ? base + 0.5 : base;
}

/**
 * Each category's 40 photos are shuffled into 40 slots; the slot fixes band, promotion and status,
 * so the guarantees hold for every seed: slots 0–19 are priced inside {@link DEMO_QUERY_RANGE}
 * (slots 0,3,…,18 promoted, slot 1 draft, slot 2 blocked in two categories), 20–29 below it, 30–39 above it.
 */
interface Slot {
  band: 'low' | 'mid' | 'high';
  promoted: boolean;
  status: ProductStatus;
}
function slotOf(pos: number, categoryIndex: number): Slot {
  const band = pos < 20 ? 'mid' : pos < 30 ? 'low' : 'high';
  const promoted = pos % 3 === 0;
  let status: ProductStatus = 'active';
  if (pos === 1 || pos === 22) status = 'draft';
  if (pos === 35 || (pos === 2 && categoryIndex % 5 === 0)) status = 'blocked';
  return { band, promoted, status };
}

/** Exact bound prices, so inclusive price filters can be checked on the demo. [category, slot, price] */
const BOUNDARY_PRICES: readonly [DemoCategory, number, number][] = [
  ['dress', 19, 5_000.01], // lowest price inside the range
  ['dress', 29, 5_000], // just below it
  ['shoes', 19, 20_000.2], // highest price inside the range
  ['shoes', 39, 20_000.21], // just above it
];

interface DraftProduct {
  category: DemoCategory;
  photo: string;
  slot: Slot;
  price: number;
  popularity: number;
}

function buildProducts(rng: Rng, now: number): { products: Product[]; images: DemoData['images']; popularity: Map<string, number> } {
  const drafts: DraftProduct[] = [];
  DEMO_CATEGORIES.forEach((category, ci) => {
    const photos = rng.shuffle(photosOf(category));
    photos.forEach((photo, pos) => {
      const slot = slotOf(pos, ci);
      let price =
        slot.band === 'mid'
          ? retailPrice(rng, rng.uniform(5_000, 19_900))
          : slot.band === 'low'
            ? retailPrice(rng, rng.uniform(1_000, 4_900))
            : retailPrice(rng, Math.exp(rng.uniform(Math.log(20_100), Math.log(99_900))));
      const boundary = BOUNDARY_PRICES.find(([c, p]) => c === category && p === pos);
      if (boundary) price = boundary[2];
      // Log-normal-ish latent popularity, so "popular" items exist and differ from the rest.
      const popularity = Math.exp(0.9 * (rng.float() + rng.float() + rng.float() - 1.5) * 2);
      drafts.push({ category, photo, slot, price, popularity });
    });
  });

  const order = rng.shuffle(drafts); // ids mix categories
  const products: Product[] = [];
  const images: DemoData['images'] = [];
  const popularity = new Map<string, number>();
  const seenNames = new Set<string>();
  order.forEach((d, i) => {
    const id = `p-${String(i + 1).padStart(4, '0')}`;
    let naming = nameProduct(rng, d.category);
    for (let tries = 0; seenNames.has(naming.name) && tries < 50; tries++) naming = nameProduct(rng, d.category);
    seenNames.add(naming.name);
    // ~6% brand new (last 7 days, for new-arrival logic), the rest over the past 180 days.
    const ageDays = rng.chance(0.06) ? rng.uniform(0.2, 6.8) : rng.uniform(7, DEMO_CATALOG_DAYS);
    const created = Math.round(now - ageDays * DAY_MS);
    const updated = Math.round(created + rng.uniform(0, 0.3) * (now - created));
    const countries = rng.chance(0.8) ? [] : rng.pick([['CL'], ['AR'], ['ES'], ['MX'], ['CL', 'AR']]);
    products.push({
      id,
      name: naming.name,
      description: naming.description,
      price: d.price,
      currency: DEMO_CURRENCY,
      category: d.category,
      promoted: d.slot.promoted,
      status: d.slot.status,
      countries,
      images: [imageKey(id, `${d.photo}.jpg`)],
      createdAt: new Date(created).toISOString(),
      updatedAt: new Date(updated).toISOString(),
      attributes: { colour: naming.colour, material: naming.material, language: naming.language },
    });
    images.push({ productId: id, file: `${DEMO_IMAGES_DIR}/${d.category}/${d.photo}.jpg` });
    popularity.set(id, d.popularity);
  });
  return { products, images, popularity };
}

// ---------------------------------------------------------------------------------------------
// Users and events

interface SpecialUser {
  country: string;
  taste: UserTaste;
  /** Funnel stages forced for the first items, all drawn inside the taste and {@link DEMO_QUERY_RANGE}. */
  leading: Stage[];
  blacklistInRange: number;
}

/** Users 1 and 2 are the demo's protagonists: clearly different tastes, same country. */
const SPECIAL_USERS: Record<string, SpecialUser> = {
  '1': {
    country: 'CL',
    taste: { categories: ['shoes', 'hat'], priceMin: 12_000, priceMax: 60_000 },
    leading: ['order', 'order', 'wishlist', 'cart'],
    blacklistInRange: 1,
  },
  '2': {
    country: 'CL',
    taste: { categories: ['dress', 'skirt'], priceMin: 6_000, priceMax: 19_000 },
    leading: ['order', 'order', 'order', 'wishlist', 'wishlist', 'cart'],
    blacklistInRange: 1,
  },
};

type Stage = 'view' | 'wishlist' | 'cart' | 'order';

/** An event before it gets its stable, time-ordered eventId. */
type Draft = Omit<InteractionEvent, 'eventId'>;

const isVisible = (p: Product, country: string): boolean =>
  p.status !== 'draft' && (p.countries.length === 0 || p.countries.includes(country));

const inRange = (price: number): boolean => price >= DEMO_QUERY_RANGE.min && price <= DEMO_QUERY_RANGE.max;

function randomTaste(rng: Rng): UserTaste {
  const n = rng.chance(0.45) ? 1 : rng.chance(0.6) ? 2 : 3;
  const categories = rng.sample(DEMO_CATEGORIES, n);
  const centre = Math.exp(rng.uniform(Math.log(2_500), Math.log(45_000)));
  return {
    categories,
    priceMin: Math.max(DEMO_PRICE_MIN, Math.round(centre / 1.8)),
    priceMax: Math.min(DEMO_PRICE_MAX, Math.round(centre * 1.8)),
  };
}

/**
 * Generates the demo catalogue (400 products, one per CC0 photo), `users` users with tastes,
 * and their events (orders, carts, wishlists, views over the past 90 days, some orders gifts).
 * Deterministic for a given `(seed, users, now)`.
 */
export function generateDemoData(options: DemoOptions = {}): DemoData {
  const seed = options.seed ?? DEMO_DEFAULT_SEED;
  const nUsers = Math.max(2, Math.floor(options.users ?? DEMO_DEFAULT_USERS));
  const now = Math.floor(options.now ?? Date.now());
  const rng = new Rng(seed);

  const { products, images, popularity } = buildProducts(rng, now);
  const createdMs = new Map(products.map((p) => [p.id, Date.parse(p.createdAt)]));
  const byCategory = new Map<DemoCategory, Product[]>(DEMO_CATEGORIES.map((c) => [c, []]));
  for (const p of products) byCategory.get(p.category as DemoCategory)!.push(p);

  const users: UserProfile[] = [];
  const tastes: Record<string, UserTaste> = {};
  for (let i = 1; i <= nUsers; i++) {
    const id = String(i);
    const special = SPECIAL_USERS[id];
    const country = special?.country ?? DEMO_COUNTRIES[rng.weighted([0.4, 0.2, 0.2, 0.2])];
    tastes[id] = special ? { ...special.taste, categories: [...special.taste.categories] } : randomTaste(rng);
    users.push({ id, country, blacklist: [] });
  }
  const countryOf = new Map(users.map((u) => [u.id, u.country!]));

  /** Draws a product for `userId`'s taste that they can see and have not touched yet. */
  const drawProduct = (
    forUser: string,
    taken: Set<string>,
    tasteShare: number,
    extra?: (p: Product) => boolean,
  ): Product | undefined => {
    const taste = tastes[forUser];
    const category = rng.chance(tasteShare) ? rng.pick(taste.categories) : rng.pick(DEMO_CATEGORIES);
    const pool = byCategory
      .get(category)!
      .filter((p) => isVisible(p, countryOf.get(forUser)!) && !taken.has(p.id) && (extra ? extra(p) : true));
    if (pool.length === 0) return undefined;
    const weights = pool.map(
      (p) =>
        popularity.get(p.id)! *
        (p.price >= taste.priceMin && p.price <= taste.priceMax ? 5 : 1) *
        (p.status === 'blocked' ? 0.3 : 1),
    );
    return pool[rng.weighted(weights)];
  };

  /** Start of the window in which events on `p` can happen (not before the product existed). */
  const startFor = (p: Product): number => Math.max(now - DEMO_EVENT_DAYS * DAY_MS, createdMs.get(p.id)! + HOUR_MS);

  const drafts: Draft[] = [];
  /** Emits the funnel of one user on one product: view → (wishlist | cart → order). */
  const emitFunnel = (userId: string, p: Product, stage: Stage): void => {
    const start = startFor(p);
    const end = now - 6 * HOUR_MS;
    let t = Math.round(start + rng.float() * Math.max(0, end - start));
    const step = (): number => (t = Math.min(now, t + Math.round(rng.uniform(2, 90) * 60_000)));
    drafts.push({ userId, productId: p.id, type: 'view', quantity: 1, timestamp: t });
    if (stage === 'view') {
      if (rng.chance(0.3)) drafts.push({ userId, productId: p.id, type: 'view', quantity: 1, timestamp: step() });
      return;
    }
    if (stage === 'wishlist') {
      drafts.push({ userId, productId: p.id, type: 'wishlist', quantity: 1, timestamp: step() });
      return;
    }
    const quantity = rng.chance(0.1) ? 2 : 1;
    if (stage === 'cart' || rng.chance(0.7)) drafts.push({ userId, productId: p.id, type: 'cart', quantity, timestamp: step() });
    if (stage === 'order') drafts.push({ userId, productId: p.id, type: 'order', quantity, timestamp: step() });
  };

  const touched = new Map<string, Set<string>>(users.map((u) => [u.id, new Set<string>()]));
  const owned = new Map<string, Set<string>>(users.map((u) => [u.id, new Set<string>()]));

  for (const u of users) {
    const special = SPECIAL_USERS[u.id];
    const mine = touched.get(u.id)!;
    const heavy = rng.chance(0.1);
    const nItems = special ? 12 : rng.int(4, 12) * (heavy ? 2 : 1);
    for (let k = 0; k < nItems; k++) {
      const forced = special?.leading[k];
      const p = forced
        ? drawProduct(u.id, mine, 1, (q) => q.status === 'active' && inRange(q.price))
        : drawProduct(u.id, mine, special ? 1 : 0.85);
      if (!p) continue;
      const r = rng.float();
      const stage: Stage = forced ?? (r < 0.5 ? 'view' : r < 0.67 ? 'wishlist' : r < 0.8 ? 'cart' : 'order');
      mine.add(p.id);
      if (stage === 'order') owned.get(u.id)!.add(p.id);
      emitFunnel(u.id, p, stage);
    }
  }

  // Gifts: chosen by the receiver's taste, so the order is evidence about the receiver.
  const emitGift = (giver: string, receiver: string): void => {
    const theirs = new Set([...owned.get(receiver)!]);
    const p = drawProduct(receiver, theirs, 1, (q) => q.status === 'active');
    if (!p) return;
    owned.get(receiver)!.add(p.id);
    const start = startFor(p);
    const t = Math.round(start + rng.float() * Math.max(0, now - HOUR_MS - start));
    drafts.push({ userId: giver, productId: p.id, type: 'order', receiverId: receiver, quantity: 1, timestamp: t });
  };
  if (nUsers >= 2) emitGift('1', '2'); // user 1 buys user 2 a dress or skirt: counts for user 2 only
  for (const u of users) {
    const gifts = rng.chance(0.25) ? (rng.chance(0.2) ? 2 : 1) : 0;
    for (let g = 0; g < gifts; g++) {
      let receiver = String(rng.int(1, nUsers));
      if (receiver === u.id) receiver = String((Number(receiver) % nUsers) + 1);
      emitGift(u.id, receiver);
    }
  }

  // Blacklists: a few items of their own taste they never want to see (never ones they touched).
  for (const u of users) {
    const special = SPECIAL_USERS[u.id];
    const count = special ? special.blacklistInRange : rng.chance(0.15) ? rng.int(1, 3) : 0;
    const avoid = new Set([...touched.get(u.id)!, ...owned.get(u.id)!]);
    for (let b = 0; b < count; b++) {
      const p = drawProduct(u.id, avoid, 1, special ? (q) => q.status === 'active' && inRange(q.price) : undefined);
      if (!p) continue;
      avoid.add(p.id);
      u.blacklist.push(p.id);
    }
  }

  // Stable order and ids: by time, ties by generation order.
  const ordered = drafts.map((d, i) => ({ d, i })).sort((a, b) => a.d.timestamp - b.d.timestamp || a.i - b.i);
  const events: InteractionEvent[] = ordered.map(({ d }, n) => ({
    eventId: `demo-${n + 1}`,
    userId: d.userId,
    productId: d.productId,
    type: d.type,
    ...(d.receiverId ? { receiverId: d.receiverId } : {}),
    quantity: d.quantity,
    timestamp: d.timestamp,
  }));

  return { products, users, events, images, tastes };
}

// ---------------------------------------------------------------------------------------------
// The 400 photos in demo/images/<label>/<uuid>.jpg (same list as demo/images/manifest.csv).

function photosOf(category: DemoCategory): string[] {
  return PHOTOS[category].trim().split(/\s+/);
}

const PHOTOS: Record<DemoCategory, string> = {
  dress: `
    009b3c31-fb62-45c0-be9a-37a5c238cb88 041c6bde-e737-46fd-9586-984c1503941f 04f0b07f-4b9f-4c55-bc5d-b693658fb32c
    0546d34a-a369-4723-8d3a-74c0f51af26c 05d361f6-9518-4bf7-a644-6dba9402adf4 07bf93d6-850f-4309-ba86-52e2d1f5cce2
    08868e1e-e19a-43de-b883-82694af5a482 08e1576e-1a7c-4a80-813d-f6914b010a8a 09c09dd1-ccef-4ced-96dd-ba3b828a49b4
    0a69db60-c052-4b9a-a90d-e53120d091d5 0b5f7f85-fa44-4406-91ed-6b730e4b6fa1 0ba71e2a-4941-4c09-952e-e32895840d34
    0d3cf39f-78f1-440e-9504-f510e75aff0b 123cedc9-f0ee-432b-a087-7c4981e60c75 13a7bfe9-bb57-41a2-867a-149e9d26c93a
    14a73972-d3a6-430e-8fe1-8e6911e40371 15e1f140-7552-4402-9419-a6dd10cba223 16740066-3329-4165-884a-25c42814d590
    176e457c-bda2-4cc2-8044-af1a528bb9b1 18519bfc-435f-4280-8779-f7fad8fe9e79 1bb8d90d-2b00-4623-9bfe-2ffac4f7d17f
    1c22dfec-9633-4d10-88f5-b6cad5b27dfc 1da10477-cb53-4506-b54c-1ad949002e35 2074bc3b-b374-4fc6-b520-83dd51b98976
    20a31e9d-f1d8-4eaf-9edd-9b1a8b59799a 2110c5ff-9b43-45e2-b9a0-316dd2fb26fe 221f6226-4285-4d83-83ab-d3a1950e4a22
    230ee7f3-a206-4804-9c23-8b5bda052140 2456b899-8146-4823-951a-efe3ab0c2a5b 27de089d-8509-479e-9d23-7b78f93e2480
    281902e9-43a3-4848-b9c7-c92eeb8a40a8 2adf987d-a985-4023-81d4-adf9368ca251 2b66fdb1-33dd-445f-a422-b17fbe543483
    2bc3b252-bec7-4dbc-beb3-f7977e71000f 2fdb7ce2-a2f1-4d1d-9e8f-345c28b5b25d 3175a932-43ce-46fd-8599-37f375b1f776
    32c91193-3fe7-48a1-8867-01c55e4f3985 34118cd8-2498-4965-b7cf-3b50d1d45e22 354f2a8e-8ecb-4284-9ab9-e39399e36afb
    37271dcc-d0e5-4f31-81ac-ad4b5974812e
  `,
  hat: `
    00d94e21-5891-492e-be0e-792e7338c077 047b4988-aeb2-423b-8a2e-163477a6cae2 047bf1cf-28e2-45e2-a96b-cc3def23f030
    047ea75e-1f1d-46a0-bcbc-5210dc465eb3 0979a14e-051a-4659-8e87-2f6a424e2c12 127708b5-72ad-4793-9512-3d33427459bb
    14d9f39c-48f5-4da6-bea4-b9f8b94633ed 153a69c6-4c18-49c0-a3d5-8af2ce547fa7 1aac00cd-b42a-40f1-a82a-dcc44a0879d4
    1ea1d5e8-6613-442b-822c-f10319d14da3 1febd681-151b-4c8c-baff-ddc52d16c6c0 216ddb53-2a80-4218-99b0-b5b721744fc3
    22745622-ae32-407f-9af1-9a25eb79d7b3 24fcfe3e-4ea1-481e-9f39-37a2edcb2c99 29c2d4f8-f682-4995-919b-2ce2a9a64c1d
    29e0414f-80ca-432c-a9c0-3427298c245a 2c3533f9-2998-4c22-aa81-d0e519cc6669 2c923fb1-4bee-41dc-b393-973cd1a03bbf
    2d39c5f2-3441-4c9d-8dc7-00b940fa64a3 2d6afa47-fd6f-4b2b-9e51-010280547753 2f96b4e8-3af7-4b3f-9488-69a51df7a917
    30a55a1b-8e00-4df0-afcc-7ea3992db85d 324b3d8f-3a20-4668-b58b-b4083ed1039a 340e3716-5961-4c41-b5a4-6a568b7d1e21
    3d1948c4-067b-4f07-9310-7becd16dbd0f 3f50fdef-ce2c-4409-b2a1-92497179f86f 4423eb84-850c-4f82-8bc6-01b7fee5c1ef
    471a5dba-b2d6-40ef-9856-37c83ac15ad2 47ce5231-abc8-4ab3-8a84-8deeb79fabb2 4976873a-5058-45f9-b994-3d79868533a8
    4ac3d6f0-a7e6-4197-899f-d3a65ae1ba7d 51f52902-2209-4e89-a0a5-0b8d01572d28 53ce8ca1-9407-4cab-9d4c-0f8709aded5d
    5d127258-049e-41c0-944f-2bcba5e4a564 5dd38f14-8fcc-415c-a07f-6712df46ac4c 5ddedf0c-2cfa-4285-b384-d39505a815a4
    5e6fbee0-4783-4744-a6ba-e37a56e7d347 5e944547-5d37-4b1a-a544-64a250377e4d 5ee53ada-dcce-4c0a-ba69-d0e8881985e3
    5f36ec16-d10a-4952-bba7-bcf2923ca5f6
  `,
  longsleeve: `
    00588f87-cda1-46d7-93be-71f0fa889895 0098b1c0-bd39-41c2-a172-17066bc9fd26 0142c777-baf8-4500-add9-6641b95b90ec
    021bfd37-1620-4aac-916c-8575c4d3af6b 02c1ab85-da02-4fbd-a8b8-a115de4e0c53 049e77f5-2a28-457a-9d27-2edb3da2fd7f
    05004de9-8929-45b4-92a6-c881be04e5cc 05a5ad6f-6a04-4d4f-9bd1-16f3c3485ec5 066d2e84-6701-4bc7-a301-5beb2fed70f0
    06c96380-f7bc-46ca-a3fc-9288181f1f69 07600f96-c7e5-4bfa-9fb7-e66e38aa66b9 0814ab03-e394-403a-9718-5ee0ee19f150
    08244a6d-b413-4018-9fd7-ffd28ed9a125 095d4783-afba-4c68-93ae-30bc35f02cfd 098d55e4-996c-460c-811a-862d68ca9245
    09c08576-09d6-4878-a6f5-3087ccc57a9e 0a671f9d-d105-4ec9-8642-f4f228f8a90f 0b546ee0-81f3-4d93-938d-34166d4194d7
    0bd7a506-9042-4dfc-b061-0a8279c887bb 0c4fe429-cc94-49a1-b6b3-6660957db97b 0d3b1b5a-3d8d-406f-b953-5b506b8f5665
    0e20abb0-d56a-4f83-b254-9db70fb92794 0ef8124f-0344-49b4-901c-b583f2e66c4b 0ff16b4c-4d65-45ed-bcc3-ee9b325ee011
    107dd572-7136-4eac-a255-1883467e6a62 111f1db6-391c-4a82-b2e8-999a7fbcd886 11bd32f7-4455-4d17-9607-031854e8db1f
    120db955-d975-4be6-b2d8-b09ab17e7b7c 1238d068-c9e6-4b79-a8cc-7a2b30f9770d 1267fb67-35a0-4eda-965e-c13669cc868a
    1322a86d-a299-4bca-8da2-25120910079a 14b030c6-7721-42c3-acdf-a4b2f9fad919 14c2f75c-458b-49cc-b3c7-5d4c30d416a7
    16d5fbeb-bc4b-43ab-9bc6-89a385d42dd3 16e5d441-1398-411e-b013-0374019e32a3 16ebb1d5-e781-49bc-8461-f2b1b9226c20
    17982ffc-9631-4afc-bb57-5881c740c8f0 17a8b1aa-5aaa-47ac-8de1-5d2c9d0f83f1 1823c84a-dc6f-4edc-ae75-b54303132369
    186eb9e1-79fa-4aba-97c8-f2da0e6a2413
  `,
  outwear: `
    00149032-3dd6-426e-9bc0-d53032536a42 00208c77-ee58-4b63-bc1a-b9b3aa4f1be0 01420fed-89b3-4801-9d91-af5507322fa3
    01e42413-5514-46d0-8e44-8060d5410dee 025b653a-8b58-44e8-a40a-1ec259ed0441 05a71d78-84e9-46b5-bfd8-e30b22a84320
    091f88df-2b5e-4779-941b-bec945e96d9f 0976f46d-d278-4f99-9929-418e60d42d3d 0c6f89cd-30f6-4b44-bda5-0ba8d90e6717
    0cb3a527-be77-4ba9-9430-c097a45d4db5 0d047b70-c53a-463d-946f-c8758c2af391 12e39792-ffb7-4b21-b62e-842a4cc9f2f3
    12f9e1b9-6ef2-4d56-b91f-4a068a6e1a96 14ca9980-a105-41be-adbd-ac337db9b829 14f765fd-d3f6-4c9f-8f91-df9562102171
    1604e827-c957-4677-a63f-180f3279d766 172a91db-cadc-4c64-85bb-4ac704ea686d 18ed7f47-b091-4eb0-ae81-89f2ef139a9b
    1c8e4388-c6db-42d7-9f9d-3311b1f9204d 1c9f16a4-85cf-4c4a-ae3c-52f14270128d 1ca6b60f-add8-4cb6-a51f-168fffd27992
    1d419bc1-c0a7-40b3-b0c3-c36bc62a0f47 1fe43e89-0e78-4667-881b-3feb27a63ce3 2026abeb-26d8-4607-93a3-cd1cdf850616
    2057e208-3431-4fc7-91e6-b1b5dee502fb 233d3ebd-4f21-4715-9601-ae5ed74e98a7 26f59ad4-2bac-4f38-a695-ff82498ab97a
    2a30b135-f0ce-45d3-ab59-6bfa92e0abd3 2b070f9a-72c6-4475-a2d6-5d473a896f90 2bf88e34-cc8b-48fd-85d5-9632f21e79f0
    31590ed6-be10-4904-9c7d-087116cc29b6 337e74ee-c71a-4fa4-aa45-4eca2e583b5f 3395d7f5-fe79-448e-abec-fb6879feeddf
    34fea214-a35b-4aca-80ea-d1c4a3a80e93 352bd87f-f852-439e-af05-05b9b65b22f4 356b217e-14c8-4b57-bd4e-9f4a90a50324
    35cc16d1-d4e6-4970-b0dd-0938053dd82a 369fa09e-1fdd-4844-8814-fb1e18ace137 394369f5-06b8-46bf-814d-72f7ddf8db45
    3ae00fdb-61bf-48ad-840c-c8dd0d974091
  `,
  pants: `
    0098b991-e36e-4ef1-b5ee-4154b21e2a92 027c81f2-c6e1-498a-8f69-823ce631438e 030a5708-f6d7-441f-86ee-0b51b33f3f51
    03383314-4e34-4604-8ba0-f5d75371204f 03a43dea-405e-4a11-9716-2f790a95f699 03b5fa92-c65d-4b45-820b-967e85f41ee2
    041cea74-d96a-45ff-a8e2-d311ee0f21d8 05e280ef-53d9-497f-be09-e83c549f0a14 062752a8-2cbd-434f-b850-4a4f85c32cb3
    08973288-3d8b-4c07-9f2d-ce1392da54be 08f602bc-a030-4f73-b0fb-0ddd986840aa 0982f691-f2ce-469b-b81e-6842b914632c
    09cd286c-0fab-45b9-9152-322f32275ef7 0a7e5fe0-d592-40e6-b9b8-75aac9a2d685 0ad5bfb5-0f2b-4396-8c05-39ca0a9a2960
    0c224954-0e0f-4caa-82c8-cf9581e89336 0c2eb9ff-7f26-492d-9957-0d845669685f 0c99f0b4-3a0d-4d24-bfdd-e9e98914892c
    0ccc318a-7d69-4d7f-a442-aac1f88bc453 0e27351a-13d0-41a6-b731-4090b368d656 0e3d71f8-7677-4cd4-ba24-4788c3890ac1
    0e684087-83bf-4153-90f4-6f7ba6f25338 0fe5eeb6-316f-4f60-b604-8a1b25e23433 1015f2a4-265d-4d43-b697-17c5735cf46d
    1042a9df-2411-4f6c-b156-1d0d94e2f6ed 10f4ac8d-9d8d-4a59-88dc-5e085d61aa48 10fb1c4a-a2ab-4f43-848e-d8a1a41dff8c
    119518b0-abfc-49a1-88dc-016f2dbd17ff 11aa05f3-ac70-490a-9e87-4de486ede646 129287b2-e3ab-45f8-b0aa-cd0fa1e6864c
    12a89984-f366-4020-9eeb-922c00127951 12bfe0f0-accc-4539-ab51-53f63534938e 12f7dcc1-a830-4a57-8d6e-088cb0ae4d08
    137ef939-62db-460f-9102-120dc1ffeeec 13def0b2-758f-4640-8563-15809bd8abf5 1417a51e-fca6-458d-9d7c-456644616663
    143ea97f-a2fd-4a68-851d-a31e5ba8a92b 14625df7-84a3-435c-90a7-e57a9dce3888 1490d841-c8de-433d-8a58-7c840c2f24a0
    14bc842c-60e9-468c-ab35-5089143945f5
  `,
  shirt: `
    005d3a4d-b8cc-4f14-a288-8065ab797974 006a85bc-8a95-4cd3-8c8c-215b53753abe 00e745c9-97d9-429d-8c3f-d3db7a2d2991
    028f8beb-150d-41a9-bb4e-3de383c7856e 03a59318-7ada-46a4-910f-da7cf4e2713b 04d651a3-4c1b-410c-9b92-d046fe6a33ba
    084214ae-f8d8-4ef2-80fa-f840c8376169 087effcb-4eb3-41c1-a0bb-ec5c489f972f 08f1ea3a-3152-4956-91f2-1c5775a4d6c6
    0949e8e0-c807-4b6d-8453-80a05f1b733e 0999145e-6b23-4bee-8117-dbf4aaa83f1a 09f4ffb6-ed86-42b6-ac23-6f8f2359460f
    0a77dbed-06fb-4ba7-b1e3-24f3a41498bc 0d24634d-4daa-41bc-8acf-61b8382e0419 0d293c69-ba4f-4ffc-b6b9-fa05316a02c5
    0dc84ada-ef62-494b-8965-1a6fe28379c7 10cb59c5-1b8d-487a-820f-bb7caa7d8a80 10cc325b-f31b-4acd-adcc-ed668da293bf
    10f589e4-fe32-4db5-a3a2-32337d1d42e9 111622d7-2852-4162-a972-3ddc2c01b4e6 111f6233-f984-46a9-ab6a-13d3c5a3585c
    12162c30-f6c8-4054-9f35-937629373cca 12dbb725-c49d-4993-ac78-c16cfe33dc9c 162af0e8-a43c-45af-8d28-f46976d8142c
    1834fc07-9e6a-4cb7-abc8-28f60dfdc5a3 185b7ae2-0400-40ae-8668-6ac72f737060 1952d99b-8e70-480f-8423-1df24515096f
    1ae0fc32-65dc-4373-9550-6b74732bf72e 1b00c860-4121-475e-8991-a26247be3145 1c3deae2-1e34-4b42-b4e2-4932937481a9
    1ea48561-8057-4069-af45-ba753a997e52 1ebfca5f-6b3a-413b-851f-b09c145817a2 1f89347d-3fe8-4e0e-853b-67c96c204c9e
    1fd8e843-be30-4d20-a386-909b3f89c075 1fe7e919-6207-4927-82b6-2be0d12ceb55 205300ee-2841-440c-a78c-14540fc62d67
    243d1b0c-0c90-4185-a7db-bdf1ca0506d8 2519bdf8-67c2-46d2-9a6d-4d078e0a4de9 2577536d-e1cd-47c5-a701-4c4d910384d1
    257d2e04-25ae-490f-a6f3-5c0a2474aea5
  `,
  shoes: `
    00f6e504-7c27-438e-a5d7-bc65e557bb2b 01c5cb43-4ce1-4d08-8b71-c0a20ba94a63 04dd77eb-4233-4a57-9b0e-3136ecf6967e
    04fa06fb-d71a-4293-9804-fe799375a682 08215318-faff-4037-bee9-5bceb0af7747 09f0db06-5f01-468b-bb60-54a3093f7c27
    0a30baec-1938-47c5-b495-68a51701b43d 0bacb2c4-3d90-4835-b23e-aa7c2284d1bc 0e6871ee-7246-48ad-a356-a7fdde9878d2
    0fd66046-0879-42ab-be2e-a919c8a82aab 10ca393d-6342-462d-9536-58873a767049 10d807a5-fdbd-4b90-a70d-8e58c4d981d3
    1194757c-6518-4f24-9cbd-070b42cf4bc6 1558e0ca-2ef3-402e-bf6c-d2d62c974cd4 15839171-a64e-4526-a4fa-314a7b2c72fc
    17e48b37-4d0f-4899-b506-235cf166c621 17f835b2-a006-42a3-8ce8-d16b593a8d11 189a94de-6df7-4723-993c-c0c4054f1624
    1e3ce182-d152-4476-8b6c-be3be197debf 206b6566-5e0d-4a73-8117-7f55124f1a95 22be984f-afa6-45a1-8895-a60e045f3382
    22c96e26-25e3-4c08-916e-fe756b1b558c 22d0ec9a-ff45-4c64-8f2f-76ca9f1ad164 240f72f6-d5c3-4e64-9d59-179db8a37569
    261b36f3-5c90-4d89-93d2-0d20a7782287 2d77ba82-6ebd-4cb0-8e3b-338414051968 2dfbea36-6802-473c-b948-60a1e6181534
    2fb68610-0213-47ed-b7a3-f8268ffff8f9 30021bac-2f3c-4405-a887-9d6cdfef2e83 30b6fd9b-d172-4d5d-a1c1-c36d23f769dd
    33a07241-01ee-4e64-97f6-e0cc65ae4f5c 33bccc3c-2424-41e2-951f-a597fdbf054a 34c94dfc-1234-42f7-8f34-5ded0f654860
    35707ebd-0264-4bbf-b5f2-a33c5c4bff4d 38935bd7-2d76-4895-9cb2-9ef80d2a5383 38cf3258-0817-4a90-917c-5bda3c93bc99
    39d92542-ffcb-4b3b-896f-d158eccf8172 3a5f03b9-9afb-4fd4-bc3e-2eb56f83801d 3ad2f431-cc51-45af-9e4c-8b13f3b6772c
    3b86d877-2b9e-4c8b-a6a2-1d87513309d0
  `,
  shorts: `
    00f4bb77-5cbd-4c81-98b5-42647b8d0c64 028223d5-e408-4b02-b1a1-2cc641fb9500 02fc081e-5598-424e-9ab7-fc92eba1cda3
    03422e19-ca67-4af9-a582-96118786658e 05e3ce4d-237e-43c5-be5c-20f1a11280b2 06c30aa1-0be2-490b-b6f7-cbba423d94b0
    093c92b3-1d92-493c-bfb8-c0735429dea3 09918182-4fc3-4b92-9221-f895fba13e83 0a1955a3-c4c5-4141-8a72-afbcf92d0dfa
    0a69bc16-6adc-4563-8aa1-958c32f66524 0ed80b93-67c9-45bc-b16d-d926b79b9782 0eebc4eb-24d7-4c53-bdf9-59c2e894ce59
    11874c37-90d5-4fde-89f2-cbc030554608 13e8dc7f-8b80-42b0-b5be-89ee9787a97c 1417c271-ce40-40b7-bee1-32344bab6f16
    14e754c0-a104-47be-b038-7b1e46068caa 157f5e09-784d-45c8-a6bd-6029920ef0fd 16269b50-4756-4086-9dbc-32f0bf9fd1e3
    17e2ba0e-be9d-4fe4-b58b-2c039a693cb6 18c29626-95ce-41f0-9082-597ea2363c3b 18c657b8-25d9-4abb-b6a2-1e2c3978a1e3
    1b27b2d0-f0ab-4f61-b39e-7c21682fdcea 1b4db421-80bf-411e-9359-828415b49948 1b9a7610-e6d9-4bb8-ace9-ed4870ae0d5b
    1bcf8cc6-9d6e-49d6-ab17-6b6bb795eadb 1bd8978b-ddaf-463c-81e4-8e158d6f4120 1c899f7b-08a9-488e-80b5-3636d7f633d4
    1f0f0d60-7a02-46e9-b875-e206c1d8995b 2030d1b9-42f8-4e67-8d21-2f41d7480ec6 20679064-7d30-434b-bd91-a6614f7ceb09
    22e20d3c-bcb1-4941-8287-01ee6297f62f 233d404d-b398-4d6c-9538-bbb1de6b0fd6 23916e8a-6b1f-4b78-a4dd-a70f5ea8c88b
    249788eb-c7d1-470e-8872-196e9010db7b 24d8c413-1bc5-4938-b6e4-621ec4db182b 25a32575-d8ba-4f54-8c92-013f13a3d7df
    2744c41a-24e4-4023-ba01-d2123de33a63 283b238a-d47e-4b9b-9485-4d0182aa3c72 29d70d79-7b4b-402d-a2cd-72962819f515
    29e6297b-0d6c-49c6-8513-dc64b7b979f5
  `,
  skirt: `
    011ecf12-aab1-4c72-8f77-2649386cd23b 038e4976-e75f-452e-bccc-2ebb5d5c0e0a 0570064d-b6cf-48a5-a703-f217d8a38333
    0903f4c9-a877-4832-bb9e-2a4f4b8f7f67 0ab26941-211e-44d7-a62a-20207fa7a3e0 0da586b0-bbfb-44fd-a629-12aee2b1d430
    125472d8-0f0a-4d45-b531-fb87a9d9d95e 12f6208b-331e-4257-bcfe-bb48f8c924aa 16dae877-412a-489e-8935-4bd08db2fa23
    22d78476-595a-412d-861e-880264696556 2503103d-48e1-4be1-b90e-c2e80b5f1eed 25450d12-43a6-48c1-b5c0-fd613ad61ee0
    26921ddb-5f3e-4878-a156-3318f4d831b0 284149a9-e71e-4955-8228-7511fa592bc1 2a79969e-c45d-432f-a62b-90970e4d909f
    2f8687c7-bdbf-449f-8528-639040681663 31fd2f8b-620c-405d-b9f9-5e676dbace96 36e2b110-6be7-4c46-a865-34ca99808c11
    389bb7fe-02a7-4db4-9daa-1604b5ca8cb1 39dc8452-9d13-4941-a1e2-fc05df87ee4c 3ac953dd-31fb-461f-8bbd-7802397cc392
    41e11790-a772-47b1-b251-15c3464038b7 4845b1d5-2535-43d8-90b0-dbc10002bcb8 48895e87-ae51-4c7e-98ae-2855991264d1
    49e9555c-f96e-4887-90e5-036b4d908c64 4d4f6900-da14-4e6c-9236-e3a98261fdc2 53c395a3-94bf-4ad9-be75-3bb3924c2d76
    55808c24-c583-4bb5-91a1-6dca3056faf2 574a2370-af89-4c9a-bbb9-9acfd31489f3 58d7105d-ec37-4cda-8bf8-7dd2c7b1bf6e
    5e2b335d-2f5e-4356-9aba-a735af742b6a 667a7349-f0a7-43bc-bb70-246b61e6354b 672b0d76-2277-4edf-8903-51cd6646b139
    69d4e9dd-3176-413f-8bff-fa9f8129e01c 6b6416d0-7fae-4858-ba58-f0420302a1b2 6d210194-60de-49c5-a215-05201cfa1a64
    6da4653c-905d-4257-aa82-824afda0c0a5 6f7e039f-85a2-47dd-9cc2-b2cbd64367a5 70045b01-b350-4918-be74-2f627290ad7a
    740e3cc1-3b71-454d-9fc9-6cff9a46f3b2
  `,
  't-shirt': `
    00003aeb-ace5-43bf-9a0c-dc31a03e9cd2 00805d0e-7fe5-4251-b577-86065e4f6587 0144d8a2-0d3b-4bee-b137-324129e746a8
    01ace8a7-7621-478e-af83-cd4fac4cb157 0285f2a0-ff21-43de-9762-6454faa5eef8 02ef828a-a7d5-4475-bf44-3907b3a977ff
    03103065-f445-44a5-b707-53b73534f57d 0373fc11-3fca-4b92-8ae5-e208d53135a0 0386a2d3-d7c2-42d4-b348-2525e6659743
    0406b620-a3a1-4de2-8b4d-747c8bcbd57a 0422c599-712c-47c9-b8eb-70dd2c9759cc 04520051-6197-4561-a721-8e73c0d4116a
    0486260d-9355-4958-a7c8-1e672ef27a16 0528632c-f54d-4511-bf2b-632bd5da2ad9 061b697e-086b-48c9-80db-9ecb9b82c64b
    0637d9a1-60fa-4b26-86db-f2511a17db62 06a5caaa-f9db-45a1-9bc1-e3e1c525a216 06e4b3cf-bb53-482a-98e3-a4cc0f470b2d
    0702f1cb-0096-491e-9267-ee4f3c331fe6 07349830-408d-42b7-baeb-35ad9a21c6bf 07384634-05b2-4eae-8251-794855910d46
    074e0101-337d-404e-9288-44902cc0f0b9 075a38a7-674a-4382-a1d6-6316edc1cf3b 07928474-c6fe-415f-9cb0-6418e497ce56
    07adbe68-f902-4819-8a74-420cf4745253 07de80f6-00a3-40eb-8eb4-17890f75c08f 0809f68f-44bf-4eb4-bf09-dd50446f96cf
    0881dd9e-aa51-456a-a623-287a93894224 0952d8a9-daa0-4527-b622-f5cc2fb45d91 09ffb7d6-3045-4d5a-8f4b-f0e4738fa960
    0a85a584-cb49-4795-b2f1-7eebbf09399a 0aa095c3-9d4d-4416-8788-82655af859a8 0add1694-17d0-46ec-a9fc-900da252af41
    0b1cc7a6-be78-45e6-be22-2ad00b107328 0b20fabe-a5f2-4549-bbb2-504ee53dc89d 0b55a8e8-0087-4c19-8729-b872718ff5ae
    0ba2d892-a1fb-4961-88a8-d77875b9f673 0bd9bcb2-a108-4aa5-964d-f3a9f814e9c1 0bdfdcd8-8ca7-410b-8e92-d47ff1aa5546
    0c42c400-2c26-471f-93a9-40d00df87e6c
  `,
};

/**
 * Writes demo data through the stores, events in batches of 100 (what one `POST /events` may carry).
 * `prepare` may add to each product before it is written (the local runtime stores name embeddings).
 */
export async function writeDemoData(
  stores: { catalog: CatalogStore; users: UserStore; interactions: InteractionStore },
  demo: Pick<DemoData, 'products' | 'users' | 'events'>,
  prepare: (p: Product) => Product = (p) => p,
): Promise<void> {
  for (const p of demo.products) await stores.catalog.put(prepare(p));
  for (const u of demo.users) await stores.users.put(u);
  for (let i = 0; i < demo.events.length; i += 100) await stores.interactions.putEvents(demo.events.slice(i, i + 100));
}
