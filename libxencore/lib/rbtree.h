/* Intrusive red-black trees: a balanced binary search tree whose nodes live
 * inside the objects they order, so inserting or removing never allocates.
 *
 * Why: a scheduler keeps its runnable vCPUs ordered by a key (credit2: by
 * credit) and must find the best one, remove any one and insert one in
 * O(log n) whatever the number of vCPUs. A red-black tree keeps its height
 * below 2 log2(n + 1): every path from the root to a leaf has the same number
 * of black nodes and no red node has a red child.
 *
 * The tree does not know the key. The caller walks down from the root with
 * its own comparison to find where the new node hangs (rb_link), then calls
 * rb_insert(), which recolours and rotates. The leftmost node is cached, so
 * rb_first() is O(1). No locking: the owner's lock protects the tree. */
#ifndef XENCORE_LIB_RBTREE_H
#define XENCORE_LIB_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

struct rb_node {
    struct rb_node *parent, *left, *right;
    bool red;
};

struct rb_tree {
    struct rb_node *root;
    struct rb_node *leftmost; /* rb_first(), kept up to date */
    size_t count;
};

#define RB_TREE_INIT                                                                               \
    {                                                                                              \
        NULL, NULL, 0                                                                              \
    }

/* Hangs @node (not in any tree) below @parent, on the left if @left; @parent
 * is NULL for an empty tree. Then rebalances. O(log n). */
void rb_insert(struct rb_tree *tree, struct rb_node *node, struct rb_node *parent, bool left);
/* Takes @node (in @tree) out and rebalances. O(log n). */
void rb_erase(struct rb_tree *tree, struct rb_node *node);

/* The leftmost (smallest) node, or NULL. O(1). */
static inline struct rb_node *rb_first(const struct rb_tree *tree)
{
    return tree->leftmost;
}

/* The node after / before @node in order, or NULL. O(log n), O(1) amortised. */
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

#define rb_entry(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#endif /* XENCORE_LIB_RBTREE_H */
