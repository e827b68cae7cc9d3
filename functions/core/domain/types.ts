/**
 * Domain types shared by the core, the adapters and the handlers.
 * The product object is the API contract (full object + score + reasons).
 */

/** `deleted`: soft-deleted by `DELETE /products/{id}` — never recommended again, its events kept. */
export type ProductStatus = 'active' | 'draft' | 'blocked' | 'deleted';

export interface Product {
  id: string;
  name: string;
  description: string;
  price: number;
  currency: string;
  category: string;
  promoted: boolean;
  status: ProductStatus;
  /** ISO country codes where the product is sold; empty = everywhere. */
  countries: string[];
  /** S3 keys under `images/{id}/`. */
  images: string[];
  createdAt: string;
  updatedAt: string;
  attributes: Record<string, string>;
  /** Set once the image has been embedded (EfficientNet-B0 → VAE μ). */
  embedding_version?: string;
  /** Set by a soft delete (status `deleted`). */
  deletedAt?: string;
  /** VAE μ of the product's first image (not returned by the API). */
  image_embedding?: number[];
  /** Text embedding of the product name (not returned by the API). */
  text_embedding?: number[];
}

/** The shopping funnel: the event types online metrics attribute to a recommendation. */
export type FunnelEventType = 'order' | 'cart' | 'wishlist' | 'view';
export const FUNNEL_EVENT_TYPES: readonly FunnelEventType[] = ['order', 'cart', 'wishlist', 'view'];
/** A review is feedback on a product (a rating, maybe text), not a step of the funnel. */
export type EventType = FunnelEventType | 'review';
export const EVENT_TYPES: readonly EventType[] = [...FUNNEL_EVENT_TYPES, 'review'];

/** A review's stars: an integer from 1 to 5. */
export type Rating = 1 | 2 | 3 | 4 | 5;
export const MIN_RATING = 1;
export const MAX_RATING = 5;
/** Longest review text accepted, in characters after trimming. */
export const MAX_REVIEW_TEXT = 2000;

/** One app event as accepted by `POST /events`. */
export interface InteractionEvent {
  eventId: string;
  userId: string;
  productId: string;
  type: EventType;
  /** For gift orders: the person the gift is for. The event then counts for the receiver. */
  receiverId?: string;
  quantity: number;
  /** Epoch milliseconds. */
  timestamp: number;
  /** The recommendation response it followed (online metrics attribution); not stored with the event. */
  recommendationId?: string;
  /** Reviews only (required there): 1–5 stars. */
  rating?: number;
  /** Reviews only: the review's text, trimmed, at most MAX_REVIEW_TEXT characters. */
  text?: string;
}

export interface UserProfile {
  id: string;
  country?: string;
  blacklist: string[];
  /** Whether gift-givers may see that an item is on this user's wishlist (default true). */
  wishlistPublic?: boolean;
}

export type Reason = string; // on_wishlist | because_you_bought:<id> | similar_image:<id> | popular_in_country | new_arrival | promoted | popular_backfill | ...

export interface RecommendedProduct extends Omit<Product, 'image_embedding' | 'text_embedding'> {
  score: number;
  reasons: Reason[];
}

export interface RecommendationResult {
  recommended_products: RecommendedProduct[];
  model_version: string;
  promoted_shortfall: number;
}

/** Filters shared by both recommendation routes. Prices inclusive. */
export interface RecommendationQuery {
  userId: string;
  num: number;
  minPrice?: number;
  maxPrice?: number;
  minPromoted: number;
  country?: string;
  /** Only these categories (any of them); undefined = every category. */
  categories?: readonly string[];
}

/** How far ahead of the server's clock an event's timestamp may be (device clocks drift; a 2099 event would stay fresh forever). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
